import { describe, expect, it } from 'vitest';
import { formatTable, percentile, type FaultResult } from './report.js';

const result = (over: Partial<FaultResult>): FaultResult => ({
  fault: 'edge-kill',
  clients: 40,
  acked: 1200,
  refused: 0,
  lost: 0,
  duplicated: 0,
  otherViolations: 0,
  resumes: 10,
  resumeP50Ms: 412.4,
  resumeP99Ms: 1300,
  recoveryMs: 2100,
  worstDelayMs: 2500,
  failures: [],
  notes: [],
  ...over,
});

describe('chaos report', () => {
  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([4, 1, 3, 2], 99)).toBe(4);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
  });

  it('prints one aligned row per fault, then the failures with their exact messages', () => {
    const table = formatTable([
      result({}),
      result({
        fault: 'broker-restart',
        resumes: 0,
        resumeP50Ms: undefined,
        resumeP99Ms: undefined,
        lost: 1,
        failures: ['lost: room r, seq 9, sender a, recipient b, payload a.3 (acked, never delivered)'],
      }),
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| fault +\| clients \| acked \| refused \| lost \| duplicated \|/);
    expect(lines[2]).toContain('| edge-kill      |      40 |  1200 |');
    expect(lines[2]).toContain('412 ms');
    expect(lines[3]).toMatch(/\| broker-restart \|.*\| {4}1 \|.*\| {10}– \|/);
    expect(new Set(lines.slice(0, 4).map((l) => l.length)).size).toBe(1);
    expect(lines[4]).toBe(
      '  broker-restart: FAILURE lost: room r, seq 9, sender a, recipient b, payload a.3 (acked, never delivered)',
    );
  });
});
