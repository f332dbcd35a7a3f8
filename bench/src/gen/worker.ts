/**
 * The load generator: a child process driven over IPC by the scenario (so several can run, each
 * with its own 20,000-descriptor limit). Commands are handled one at a time; each reply carries
 * raw samples so the parent computes percentiles over every generator together.
 *
 * Latency is measured from the **intended** send time of an open-loop schedule, so a stalled
 * system (or a stalled generator) shows up as latency instead of silently lowering the load
 * (no coordinated omission).
 */
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import {
  asText,
  connect,
  frame,
  joinRoom,
  keepAlive,
  markerOf,
  open,
  type SignalKind,
  type TargetClient,
  type TargetName,
} from './targets.js';
import { benchToken } from '../lib/tokens.js';

/** Commands the parent sends. */
export type GenCommand =
  | { cmd: 'pairs'; target: TargetName; url: string; pairs: number; tag: string }
  | { cmd: 'relay'; rate: number; warmupMs: number; durationMs: number; drainMs: number }
  | { cmd: 'idle'; url: string; count: number; concurrency: number; tag: string }
  | { cmd: 'joins'; url: string; roomSize: number; rooms: number; rate: number; tag: string }
  | { cmd: 'close' };

/** Replies, one per command (`error` when it failed). */
export type GenReply =
  | { ok: 'pairs'; connectMs: number }
  | {
      ok: 'relay';
      sent: number;
      received: number;
      latencies: number[];
      maxLagMs: number;
      errors: number;
      firstError: string;
    }
  | { ok: 'idle'; connected: number; failed: number; firstError: string; ms: number; dropped: number }
  | { ok: 'joins'; latencies: number[]; failed: number; firstError: string }
  | { ok: 'close' }
  | { error: string };

const KINDS: SignalKind[] = [
  'offer',
  'answer',
  'candidate',
  'candidate',
  'candidate',
  'candidate',
  'candidate',
  'candidate',
  'candidate',
  'candidate',
];

let target: TargetName = 'floor';
let pairs: [TargetClient, TargetClient][] = [];
const held: WebSocket[] = [];
/** Idle connections the server closed after they were open (cumulative). */
let dropped = 0;
const stops: (() => void)[] = [];

/** Intended send time of message n (performance.now() ms), for the step in progress. */
let intended = new Float64Array(0);
let base = 0;
let measuredFrom = 0;
let latencies: number[] = [];
let received = 0;
/** Error frames received during the step (a refusal is loss the system admits to). */
let errors = 0;
let firstError = '';

/** When the last frame arrived (any step), to let a backlog drain before the next step. */
let lastFrameAt = 0;

function onRelayed(data: WebSocket.RawData): void {
  lastFrameAt = performance.now();
  const text = asText(data);
  if (text.includes('"type":"error"')) {
    errors++;
    firstError ||= text.slice(0, 300);
    return;
  }
  const n = markerOf(text);
  if (n < base || n - base >= intended.length) return;
  const t = intended[n - base] ?? 0;
  if (t === 0) return; // duplicate
  intended[n - base] = 0;
  if (n - base >= measuredFrom) {
    received++;
    latencies.push(performance.now() - t);
  }
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function setupPairs(c: Extract<GenCommand, { cmd: 'pairs' }>): Promise<GenReply> {
  target = c.target;
  const t0 = performance.now();
  const ids = Array.from(
    { length: c.pairs },
    (_, i) => [`${c.tag}-a${i}`, `${c.tag}-b${i}`, `${c.tag}-room${i}`] as const,
  );
  const made: [TargetClient, TargetClient][] = [];
  await inBatches(ids, 25, async ([a, b, room]) => {
    const pair: [TargetClient, TargetClient] = [await connect(target, c.url, a), await connect(target, c.url, b)];
    for (const p of pair) stops.push(keepAlive(target, p.ws));
    if (target === 'ours') {
      await joinRoom(pair[0], room);
      await joinRoom(pair[1], room);
    }
    made.push(pair);
  });
  for (const [a, b] of made) {
    a.ws.on('message', onRelayed);
    b.ws.on('message', onRelayed);
  }
  pairs = made;
  return { ok: 'pairs', connectMs: Math.round(performance.now() - t0) };
}

let nextMessage = 1;

async function relay(c: Extract<GenCommand, { cmd: 'relay' }>): Promise<GenReply> {
  const total = Math.ceil(((c.warmupMs + c.durationMs) / 1000) * c.rate);
  base = nextMessage;
  nextMessage += total;
  intended = new Float64Array(total);
  measuredFrom = Math.floor((c.warmupMs / 1000) * c.rate);
  latencies = [];
  received = 0;
  errors = 0;
  firstError = '';
  const interval = 1000 / c.rate;
  const start = performance.now() + 5;
  let sent = 0;
  let maxLagMs = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const n = base + sent;
        const at = start + sent * interval;
        maxLagMs = Math.max(maxLagMs, now - at);
        const pair = pairs[sent % pairs.length]!;
        const round = Math.floor(sent / pairs.length);
        const [from, to] = round % 2 === 0 ? pair : [pair[1], pair[0]];
        intended[sent] = at;
        from.ws.send(frame(target, to.id, KINDS[round % KINDS.length]!, n));
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(5, start + sent * interval - performance.now())));
      else resolve();
    };
    setTimeout(tick, 5);
  });
  const measured = total - measuredFrom;
  const deadline = performance.now() + c.drainMs;
  while (received < measured && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // Steps must not inherit a backlog: wait (bounded) until the system has been quiet for a second.
  const quietDeadline = performance.now() + 30_000;
  while (performance.now() - lastFrameAt < 1000 && performance.now() < quietDeadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: 'relay', sent: measured, received, latencies, maxLagMs: Math.round(maxLagMs), errors, firstError };
}

async function idle(c: Extract<GenCommand, { cmd: 'idle' }>): Promise<GenReply> {
  const t0 = performance.now();
  let connected = 0;
  let failed = 0;
  let firstError = '';
  const ids = Array.from({ length: c.count }, (_, i) => `${c.tag}-${i}`);
  await inBatches(ids, c.concurrency, async (id) => {
    try {
      const ws = await open(c.url, { authorization: `Bearer ${await benchToken(id)}` });
      stops.push(keepAlive('ours', ws));
      held.push(ws);
      ws.once('close', () => closing || dropped++);
      connected++;
    } catch (err) {
      failed++;
      firstError ||= (err as Error).message;
    }
  });
  return { ok: 'idle', connected, failed, firstError, ms: Math.round(performance.now() - t0), dropped };
}

async function joins(c: Extract<GenCommand, { cmd: 'joins' }>): Promise<GenReply> {
  const out: number[] = [];
  let failed = 0;
  let firstError = '';
  const interval = 1000 / c.rate;
  const start = performance.now() + 10;
  const pending: Promise<void>[] = [];
  const total = c.rooms * c.roomSize;
  for (let i = 0; i < total; i++) {
    const at = start + i * interval;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Rooms fill one after the other, so the participant list grows up to roomSize - 1.
    const room = `${c.tag}-r${Math.floor(i / c.roomSize)}`;
    const id = `${c.tag}-p${i}`;
    pending.push(
      (async () => {
        try {
          const jwt = await benchToken(id);
          const t0 = performance.now();
          const ws = await open(c.url, { authorization: `Bearer ${jwt}` });
          held.push(ws);
          stops.push(keepAlive('ours', ws));
          await joinRoom({ id, ws }, room);
          out.push(performance.now() - t0);
        } catch (err) {
          failed++;
          firstError ||= (err as Error).message;
        }
      })(),
    );
  }
  await Promise.all(pending);
  return { ok: 'joins', latencies: out, failed, firstError };
}

/** Set while this process closes its own sockets (those closes are not drops). */
let closing = false;

function closeAll(): GenReply {
  closing = true;
  for (const stop of stops.splice(0)) stop();
  for (const [a, b] of pairs) for (const p of [a, b]) p.ws.terminate();
  for (const ws of held.splice(0)) ws.terminate();
  pairs = [];
  return { ok: 'close' };
}

const handlers: { [K in GenCommand['cmd']]: (c: Extract<GenCommand, { cmd: K }>) => Promise<GenReply> | GenReply } = {
  pairs: setupPairs,
  relay,
  idle,
  joins,
  close: closeAll,
};

let queue = Promise.resolve();
process.on('message', (c: GenCommand) => {
  queue = queue.then(async () => {
    let reply: GenReply;
    try {
      reply = await (handlers[c.cmd] as (x: GenCommand) => Promise<GenReply> | GenReply)(c);
    } catch (err) {
      reply = { error: (err as Error).stack ?? String(err) };
    }
    process.send?.(reply);
    if (c.cmd === 'close') setTimeout(() => process.exit(0), 50);
  });
});
process.on('disconnect', () => process.exit(0));
process.stdout.write(JSON.stringify({ msg: 'ready' }) + '\n');
