import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../src/emitter.js';

class Emitter extends TypedEmitter<{ n: number; s: string }> {
  fire<K extends 'n' | 's'>(event: K, payload: { n: number; s: string }[K]): void {
    this.emit(event, payload);
  }
}

describe('TypedEmitter', () => {
  it('delivers to every listener; a throwing listener neither breaks emit nor the others', () => {
    const e = new Emitter();
    const got: number[] = [];
    const errors: unknown[] = [];
    e.onListenerError = (error) => errors.push(error);
    e.on('n', () => {
      throw new Error('boom');
    });
    e.on('n', (n) => got.push(n));
    expect(() => e.fire('n', 1)).not.toThrow();
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('once fires once; the returned function and off remove listeners', () => {
    const e = new Emitter();
    const got: string[] = [];
    e.once('s', (s) => got.push(`once:${s}`));
    const off = e.on('s', (s) => got.push(s));
    e.fire('s', 'a');
    off();
    e.fire('s', 'b');
    expect(got).toEqual(['once:a', 'a']);
  });
});
