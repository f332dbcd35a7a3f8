import { describe, expect, it } from 'vitest';
import { SeqTracker } from '../src/sequence.js';

describe('SeqTracker', () => {
  it('applies increasing seqs (gaps are normal) and drops duplicates replayed around a resume', () => {
    const t = new SeqTracker();
    t.reset(17);
    const seen = [18, 20, 20, 19, 21, 25, 21].filter((s) => t.accept(s));
    expect(seen).toEqual([18, 20, 21, 25]);
    expect(t.lastSeq).toBe(25);
  });

  it('always applies messages without seq and does not move lastSeq for them', () => {
    const t = new SeqTracker();
    t.reset(3);
    expect(t.accept(undefined)).toBe(true);
    expect(t.lastSeq).toBe(3);
  });

  it('joined restarts the history; clear forgets it (resume_failed)', () => {
    const t = new SeqTracker();
    t.reset(40);
    expect(t.accept(40)).toBe(false);
    t.clear();
    expect(t.lastSeq).toBeNull();
    t.reset(2);
    expect(t.accept(3)).toBe(true);
  });
});
