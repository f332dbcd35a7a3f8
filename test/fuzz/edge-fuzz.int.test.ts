/**
 * Hostile input against a running edge + projector on real Kafka: FUZZ_CASES inputs (default
 * 2500 in `npm test`; `npm run fuzz -- --cases 100000` for the long run) from test/fuzz/cases.ts.
 * Passes when no process died, every answer was a catalogued error or a documented close code,
 * every forged token was refused, the bystanders in another room saw nothing but each other's
 * data, the edge's connection count went back to the bystanders only, and the edge's memory
 * stayed bounded. The outcome counts are printed and, with FUZZ_REPORT=<file>, written as JSON.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testInfra } from '../support/infra.js';
import { waitFor } from '../support/wait.js';
import { TestClient } from '../edge/support/client.js';
import { runFuzz } from './runner.js';
import { startFuzzStack, type FuzzStack } from './stack.js';

const CASES = Number(process.env.FUZZ_CASES ?? 2500);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);
/**
 * Memory bounds between the warm-up sample and the end of the run. RSS grows while the allocator
 * keeps pages that hundreds of large frames touched (measured: +30 MB after 2500 cases, +130 MB
 * after 100k); the V8 heap in use is what a leak would grow.
 */
const RSS_GROWTH_LIMIT_MB = Number(process.env.FUZZ_RSS_GROWTH_MB ?? 200);
const HEAP_GROWTH_LIMIT_MB = Number(process.env.FUZZ_HEAP_GROWTH_MB ?? 48);

let stack: FuzzStack;

beforeAll(async () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  stack = await startFuzzStack(kafkaBrokers, redisUrl);
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
}, 60_000);

async function connectionsGauge(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.edge.adminPort}/metrics`)).text();
  return Number(/^signal_connections\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

describe('edge fuzzing', () => {
  test('non-ASCII text (echoed ids, relayed data) arrives as valid UTF-8 and keeps the connection', async () => {
    // Regression: the edge sent JS strings to uWS, which wrote Latin-1 bytes ("é" as 0xE9): an
    // invalid UTF-8 text frame, upon which every WebSocket client fails the connection (1006).
    const room = 'utf8-room';
    const open = async (identity: string): Promise<TestClient> => {
      const client = await TestClient.connect(`ws://127.0.0.1:${stack.port}/ws`, {
        headers: { authorization: `Bearer ${await stack.token(identity, room)}` },
      });
      client.send({ type: 'join', id: 'j-é', room });
      expect(await client.answerTo('j-é')).toEqual({ type: 'ack', id: 'j-é' });
      await client.take((m) => m.type === 'joined', `${identity} joined`, 20_000);
      return client;
    };
    const josé = await open('josé');
    const 漢 = await open('漢字');
    const payload = 'Grüße, José — 漢字 😀';
    josé.send({ type: 'data', id: 'd-ü', payload, to: ['漢字'] });
    expect(await josé.answerTo('d-ü')).toEqual({ type: 'ack', id: 'd-ü' });
    const data = await 漢.take((m) => m.type === 'data', 'the data message', 20_000);
    expect(data).toMatchObject({ payload, from: 'josé' });
    expect(josé.isOpen && 漢.isOpen).toBe(true);
    josé.close();
    漢.close();
  });

  test(
    `${CASES} hostile inputs: typed errors or documented close codes, no crash, bystanders unaffected, memory bounded`,
    async () => {
      const report = await runFuzz(stack, {
        cases: CASES,
        seed: SEED,
        concurrency: 6,
        progress: (line) => console.info(`[fuzz] ${line}`),
      });
      const lines = Object.entries(report.outcomes).map(([k, n]) => `  ${String(n).padStart(7)}  ${k}`);
      console.info(
        [
          `[fuzz] ${report.cases} cases (seed ${report.seed}) in ${(report.durationMs / 1000).toFixed(1)} s`,
          ...lines,
          `[fuzz] bystander probes delivered: ${report.bystander.delivered}/${report.bystander.probes}`,
          `[fuzz] edge RSS MB: start ${report.rssMb.start}, after warm-up ${report.rssMb.warm}, end ${report.rssMb.end}, peak ${report.rssMb.peak}`,
          `[fuzz] edge V8 heap used MB: after warm-up ${report.heapUsedMb.warm}, end ${report.heapUsedMb.end}`,
          `[fuzz] violations: ${report.violations.length}`,
          ...report.violations.slice(0, 30).map((v) => `  ! ${v}`),
        ].join('\n'),
      );
      if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(report, null, 2));

      expect(report.violations).toEqual([]);
      expect(stack.alive()).toBe(true);
      expect((await fetch(`http://127.0.0.1:${stack.projector.adminPort}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${stack.edge.adminPort}/readyz`)).status).toBe(200);
      expect(report.bystander.delivered).toBe(report.bystander.probes);
      expect(report.bystander.probes).toBeGreaterThan(CASES / 100);
      // Every fuzz connection is gone from the edge's registry: no leaked bookkeeping.
      await waitFor(async () => (await connectionsGauge()) === 0, {
        timeoutMs: 20_000,
        message: 'the edge to count 0 connections once every fuzz and bystander client closed',
      });
      expect(report.rssMb.end - report.rssMb.warm).toBeLessThan(RSS_GROWTH_LIMIT_MB);
      expect(report.heapUsedMb.end - report.heapUsedMb.warm).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
      // The mix reached every family of inputs.
      for (const family of ['json:error:invalid_message', 'json:ack', 'raw:', 'token:', 'flood:'])
        expect(
          Object.keys(report.outcomes).some((k) => k.startsWith(family)),
          family,
        ).toBe(true);
    },
    Math.max(120_000, CASES * 100),
  );
});
