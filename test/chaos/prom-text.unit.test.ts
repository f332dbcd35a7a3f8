import { describe, expect, test } from 'vitest';
import { counterIn } from './prom-text.js';

const TEXT = [
  '# HELP signal_connections_closed_total Connections closed, by close code',
  '# TYPE signal_connections_closed_total counter',
  'signal_connections_closed_total{close_code="1000",service="edge"} 3',
  'signal_connections_closed_total{close_code="4004",service="edge"} 1',
  'signal_connections_closed_total_extra{close_code="4004",service="edge"} 7',
  'signal_connections{service="edge"} 24',
].join('\n');

describe('counterIn', () => {
  test('matches a label subset, whatever other labels the sample carries', () => {
    expect(counterIn(TEXT, 'signal_connections_closed_total', { close_code: '4004' })).toBe(1);
    expect(counterIn(TEXT, 'signal_connections_closed_total', {})).toBe(4);
    expect(counterIn(TEXT, 'signal_connections', {})).toBe(24);
  });

  test('0 when no sample matches', () => {
    expect(counterIn(TEXT, 'signal_connections_closed_total', { close_code: '4006' })).toBe(0);
    expect(counterIn('', 'signal_connections', {})).toBe(0);
  });
});
