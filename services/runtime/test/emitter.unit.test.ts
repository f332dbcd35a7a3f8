import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../src/emitter.js';

interface Events {
  message: [text: string, seq: number];
  closed: [];
}

function collectErrors(): { errors: [unknown, string][]; emitter: TypedEmitter<Events> } {
  const errors: [unknown, string][] = [];
  return {
    errors,
    emitter: new TypedEmitter<Events>({ onListenerError: (error, event) => errors.push([error, event]) }),
  };
}

describe('TypedEmitter', () => {
  it('calls listeners in order with typed arguments', () => {
    const { emitter } = collectErrors();
    const seen: string[] = [];
    emitter.on('message', (text, seq) => seen.push(`a:${text}:${seq}`));
    emitter.on('message', (text, seq) => seen.push(`b:${text}:${seq}`));
    expect(emitter.emit('message', 'hi', 1)).toBe(2);
    expect(seen).toEqual(['a:hi:1', 'b:hi:1']);
    expect(emitter.emit('closed')).toBe(0);
  });

  it('a throwing listener does not stop the others; its error goes to the hook', () => {
    const { emitter, errors } = collectErrors();
    const seen: number[] = [];
    const boom = new Error('boom');
    emitter.on('message', () => seen.push(1));
    emitter.on('message', () => {
      throw boom;
    });
    emitter.on('message', () => seen.push(3));
    expect(() => emitter.emit('message', 'x', 1)).not.toThrow();
    expect(seen).toEqual([1, 3]);
    expect(errors).toEqual([[boom, 'message']]);
  });

  it('reports a rejected async listener to the hook', async () => {
    const { emitter, errors } = collectErrors();
    emitter.on('closed', async () => {
      await Promise.resolve();
      throw new Error('late');
    });
    emitter.emit('closed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map(([e, event]) => [(e as Error).message, event])).toEqual([['late', 'closed']]);
  });

  it('survives a throwing error hook', () => {
    const emitter = new TypedEmitter<Events>({
      onListenerError: () => {
        throw new Error('hook bug');
      },
    });
    const seen: number[] = [];
    emitter.on('closed', () => {
      throw new Error('listener bug');
    });
    emitter.on('closed', () => seen.push(2));
    expect(() => emitter.emit('closed')).not.toThrow();
    expect(seen).toEqual([2]);
  });

  it('supports unsubscribe, once, and changes during emit take effect next time', () => {
    const { emitter } = collectErrors();
    const seen: string[] = [];
    const off = emitter.on('message', (t) => seen.push(`on:${t}`));
    emitter.once('message', (t) => seen.push(`once:${t}`));
    emitter.on('message', () => {
      emitter.on('message', (t) => seen.push(`late:${t}`));
    });
    emitter.emit('message', 'a', 1);
    off();
    emitter.emit('message', 'b', 2);
    expect(seen).toEqual(['on:a', 'once:a', 'late:b']);
    emitter.removeAllListeners();
    expect(emitter.listenerCount('message')).toBe(0);
  });
});
