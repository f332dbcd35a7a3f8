import { describe, expect, it } from 'vitest';
import { CommandInbox } from '../src/adapters/command-inbox.js';

const msg = (offset: number, bytes = 10) => ({ offset: String(offset), value: Buffer.alloc(bytes) });

describe('CommandInbox', () => {
  it('accepts nothing until it knows where to start', () => {
    const inbox = new CommandInbox();
    expect(inbox.accepting).toBe(false);
    expect(inbox.offer([msg(0), msg(1)])).toBe(0);
    expect(inbox.size).toBe(0);
  });

  it('drops commands below the start offset (decided by an earlier owner) and repeats of queued ones', () => {
    const inbox = new CommandInbox();
    inbox.startAt(5n);
    expect(inbox.offer([msg(3), msg(4), msg(5), msg(6)])).toBe(2);
    // A fetch repeated after a seek hands 5 and 6 over again.
    expect(inbox.offer([msg(5), msg(6), msg(7)])).toBe(1);
    expect(inbox.take(10).map((m) => m.offset)).toEqual(['5', '6', '7']);
    // Taken commands are still behind the next expected offset.
    expect(inbox.offer([msg(7), msg(8)])).toBe(1);
  });

  it('hands commands out in order, at most `max` at a time, and counts their bytes', () => {
    const inbox = new CommandInbox();
    inbox.startAt(0n);
    inbox.offer([msg(0, 100), msg(1, 200), msg(2, 300)]);
    expect(inbox.bytes).toBe(600);
    expect(inbox.take(2).map((m) => m.offset)).toEqual(['0', '1']);
    expect(inbox.size).toBe(1);
    expect(inbox.bytes).toBe(300);
  });

  it('forgets waiting commands when stopped, and accepts them again from a new start', () => {
    const inbox = new CommandInbox();
    inbox.startAt(0n);
    inbox.offer([msg(0), msg(1), msg(2)]);
    inbox.take(1);
    inbox.stop();
    expect(inbox.accepting).toBe(false);
    expect(inbox.size).toBe(0);
    expect(inbox.bytes).toBe(0);
    // After the rebuild the group's committed offset says 1 was not decided: consumed again from there.
    inbox.startAt(1n);
    expect(inbox.offer([msg(1), msg(2)])).toBe(2);
  });
});
