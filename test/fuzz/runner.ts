/**
 * The live fuzz loop: `cases` inputs from cases.ts against a running edge (with a projector behind
 * it on real Kafka), on a few concurrent connections, while two bystanders in another room keep
 * exchanging data. Every outcome is tallied by error or close code, and every answer is checked:
 * a catalogued error code, a valid server message, a documented close code (or a bare TCP close
 * for transport-level violations), the code the parser promised for a mutated frame, no upgrade
 * for a forged token. Violations are collected, never thrown, so one run reports all of them.
 */
import fc from 'fast-check';
import { CLOSE_CODES, ErrorCodeValues, isServerMessage, parseClientMessage } from '@sig/schemas';
import { rawUpgrade, TestClient, type Msg } from '../edge/support/client.js';
import { FUZZ_IDENTITIES, FUZZ_ROOMS, fuzzCase, type FuzzCase, type FuzzKeys } from './cases.js';
import { RawWs } from './raw-ws.js';

export interface FuzzTarget {
  readonly port: number;
  /** Edge admin port, for heap samples from /metrics. */
  readonly adminPort: number;
  /** Edge process id, for RSS samples. */
  readonly pid: number;
  /** A valid token for `identity`, granting `room` ('*' = any). */
  token(identity: string, room: string): Promise<string>;
  readonly keys: FuzzKeys;
  /** True while the edge and the projector processes run. */
  alive(): boolean;
}

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  readonly concurrency: number;
  /** Progress lines (long runs). */
  readonly progress?: (line: string) => void;
}

export interface FuzzReport {
  readonly cases: number;
  readonly seed: number;
  readonly durationMs: number;
  /** Outcome counts, e.g. `json:error:invalid_message`, `raw:text_invalid_utf8:close:1006`. */
  readonly outcomes: Record<string, number>;
  /** Every broken promise found (empty = pass). */
  readonly violations: string[];
  readonly bystander: { readonly probes: number; readonly delivered: number };
  readonly rssMb: { readonly start: number; readonly warm: number; readonly end: number; readonly peak: number };
  /** V8 heap in use (nodejs_heap_size_used_bytes), after the warm-up and at the end. */
  readonly heapUsedMb: { readonly warm: number; readonly end: number };
}

const DOCUMENTED_CLOSE = new Set<number>([...Object.values(CLOSE_CODES).map((c) => c.code), 1006]);
const ERROR_CODES = new Set<string>(ErrorCodeValues);
const ANSWER_MS = 10_000;
/** The edge's MAX_MESSAGE_BYTES (default). */
const MAX_MESSAGE_BYTES = 65_536;

/** The edge's V8 heap in use, in MB, from its /metrics. */
export async function heapUsedMb(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const bytes = Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? NaN);
  return Math.round(bytes / 104_857.6) / 10;
}

/** Resident set size of a process in MB (Linux /proc). */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const startedAt = Date.now();
  const outcomes: Record<string, number> = {};
  const violations: string[] = [];
  const count = (key: string): void => void (outcomes[key] = (outcomes[key] ?? 0) + 1);
  const violate = (what: string): void => {
    if (violations.length < 200) violations.push(what);
  };
  const checkMessage = (where: string, m: Msg): void => {
    if (!isServerMessage(m)) violate(`${where}: not a valid server message: ${JSON.stringify(m).slice(0, 300)}`);
    if (m.type === 'error' && !ERROR_CODES.has(String(m['code'])))
      violate(`${where}: uncatalogued error code ${String(m['code'])}`);
  };
  const checkClose = (where: string, code: number): void => {
    if (!DOCUMENTED_CLOSE.has(code)) violate(`${where}: undocumented close code ${code}`);
  };

  const rss = { start: await rssMb(target.pid), warm: 0, end: 0, peak: 0 };
  const heap = { warm: 0, end: 0 };
  const sampler = setInterval(() => {
    void rssMb(target.pid)
      .then((mb) => (rss.peak = Math.max(rss.peak, mb)))
      .catch(() => undefined);
  }, 500);

  const bystanders = await startBystanders(target);
  const cases = new CaseStream(options.cases, options.seed);
  let done = 0;
  const worker = async (w: number): Promise<void> => {
    let conn: PooledConnection | undefined;
    for (;;) {
      const next = cases.next();
      if (next === undefined) break;
      const [i, c] = next;
      try {
        if (c.kind === 'json' || c.kind === 'flood') {
          if (conn === undefined || !conn.client.isOpen) conn = await PooledConnection.open(target, w, i);
          await (c.kind === 'json' ? runJson(conn, c, i) : runFlood(conn, c, i));
        } else if (c.kind === 'raw') await runRaw(c, i);
        else await runToken(c);
      } catch (error) {
        violate(`case ${i} (${c.kind}): ${error instanceof Error ? error.message : String(error)}`);
      }
      done++;
      if (done === Math.min(200, options.cases)) {
        rss.warm = await rssMb(target.pid);
        heap.warm = await heapUsedMb(target.adminPort);
      }
      if (done % 10_000 === 0) options.progress?.(`${done}/${options.cases} cases, ${violations.length} violations`);
      if (i % 50 === 0) await bystanders.probe().catch((e: unknown) => violate(`bystander: ${String(e)}`));
      if (!target.alive()) {
        violate(`a service process died during case ${i} (${JSON.stringify(c).slice(0, 300)})`);
        cases.stop();
      }
    }
    conn?.client.close();
  };

  async function runJson(conn: PooledConnection, c: Extract<FuzzCase, { kind: 'json' }>, i: number): Promise<void> {
    const { frame } = c;
    const from = conn.client.received.length;
    conn.client.send(frame.text);
    const answer = frame.id === undefined ? await conn.probe(i, from) : await conn.answer(frame.id, from);
    const messages = conn.client.received.slice(from);
    messages.forEach((m) => checkMessage(`json ${frame.kind}`, m));
    // The edge's own refusal of this frame: an error without `seq` (room decisions carry one).
    const refusal = messages.find((m) => m.type === 'error' && m['seq'] === undefined);
    let outcome: string;
    if (answer === 'closed') {
      const close = await conn.client.closed;
      checkClose(`json ${frame.kind}`, close.code);
      outcome = refusal ? `error:${String(refusal['code'])}+close:${close.code}` : `close:${close.code}`;
    } else if (refusal) outcome = `error:${String(refusal['code'])}`;
    else if (frame.id !== undefined && answer !== undefined && answer.type === 'ack') outcome = 'ack';
    // Without an id, an accepted message gets no answer (the probe's ack proves it was handled).
    else outcome = frame.id === undefined && answer !== undefined ? 'handled_no_id' : 'no_answer';
    count(`json:${outcome}`);
    if (outcome === 'no_answer')
      violate(`json ${frame.kind}: no answer within ${ANSWER_MS} ms: ${frame.text.slice(0, 200)}`);
    // The edge must refuse with exactly the code the parser gives the same text. Frames over the
    // transport cap (twice the protocol cap) are dropped by uWS without a close frame (documented);
    // a bare close means an earlier frame already ended the connection.
    const parsed = parseClientMessage(frame.text, MAX_MESSAGE_BYTES);
    const overTransportCap = Buffer.byteLength(frame.text, 'utf8') > 2 * MAX_MESSAGE_BYTES;
    if (!parsed.ok && !outcome.startsWith('close:') && !outcome.startsWith(`error:${parsed.code}`))
      violate(`json ${frame.kind}: parser says ${parsed.code}, edge answered ${outcome}: ${frame.text.slice(0, 200)}`);
    if (overTransportCap && outcome.startsWith('error:'))
      violate(`json ${frame.kind}: a frame over the transport cap was answered ${outcome}, not dropped`);
  }

  async function runFlood(conn: PooledConnection, c: Extract<FuzzCase, { kind: 'flood' }>, i: number): Promise<void> {
    const from = conn.client.received.length;
    for (const text of c.texts) conn.client.send(text);
    for (const id of c.ids) {
      const answer = await conn.answer(id, from);
      if (answer === 'closed') break;
      if (answer === undefined) violate(`flood ${i}: no answer to ${id} within ${ANSWER_MS} ms`);
      count(
        `flood:${answer === undefined ? 'no_answer' : answer.type === 'ack' ? 'ack' : `error:${String(answer['code'])}`}`,
      );
    }
    conn.client.received.slice(from).forEach((m) => checkMessage(`flood ${i}`, m));
    if (!conn.client.isOpen) {
      const close = await conn.client.closed;
      checkClose('flood', close.code);
      count(`flood:close:${close.code}`);
    }
  }

  async function runRaw(c: Extract<FuzzCase, { kind: 'raw' }>, i: number): Promise<void> {
    const ws = await RawWs.open(target.port, '/ws', {
      authorization: `Bearer ${await target.token(`raw-${i % 7}`, '*')}`,
    });
    try {
      for (const frame of c.frames) ws.send(frame);
      // A ping with an id after the frames: answered if the connection survived.
      ws.sendText(JSON.stringify({ type: 'ping', id: `probe-${i}`, ts: i }));
      const result = await ws.until((t) => t.includes(`"probe-${i}"`), 3000);
      for (const text of ws.texts) {
        try {
          checkMessage(`raw ${c.variant}`, JSON.parse(text) as Msg);
        } catch {
          violate(`raw ${c.variant}: the server sent a text frame that is not JSON: ${text.slice(0, 200)}`);
        }
      }
      const error = ws.texts.map((t) => JSON.parse(t) as Msg).find((m) => m.type === 'error');
      const prefix = error === undefined ? '' : `error:${String(error['code'])}+`;
      if (result.kind === 'timeout') {
        // Only a frame whose announced length was never sent may leave the server waiting; the
        // heartbeat timeout closes such a connection later (tested in test/edge).
        if (c.variant !== 'length_lies_huge') violate(`raw ${c.variant}: no answer and no close within 3 s`);
        count(`raw:${c.variant}:${prefix}waiting`);
      } else if (result.kind === 'text') count(`raw:${c.variant}:${prefix}ok`);
      else if (result.kind === 'drop') count(`raw:${c.variant}:${prefix}drop`);
      else {
        // A client that sent a close frame gets the closing handshake back, without a code (1005)
        // when its own code was not a valid one: it ended the session itself.
        if (!c.variant.startsWith('close_')) checkClose(`raw ${c.variant}`, result.code);
        count(`raw:${c.variant}:${prefix}close:${result.code}`);
      }
    } finally {
      ws.destroy();
    }
  }

  async function runToken(c: Extract<FuzzCase, { kind: 'token' }>): Promise<void> {
    const jwt = await c.token(target.keys);
    const answer = await rawUpgrade(target.port, `/ws${c.query === '' ? '' : `?${c.query}`}`, {
      authorization: `Bearer ${jwt}`,
    });
    let code = '';
    // 431 comes from the HTTP layer (headers over its limit), before the edge sees the request.
    if (answer.status !== 101 && answer.status !== 431) {
      try {
        code = String((JSON.parse(answer.body) as { code?: unknown }).code);
      } catch {
        violate(`token ${c.variant}: refusal body is not JSON: ${answer.body.slice(0, 200)}`);
      }
    }
    count(`token:${c.variant}:${answer.status}${code === '' ? '' : `:${code}`}`);
    if (answer.status !== c.status || (c.code !== null && code !== c.code))
      violate(`token ${c.variant}: expected ${c.status} ${c.code ?? ''}, got ${answer.status} ${code}`);
  }

  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
    await bystanders.probe().catch((e: unknown) => violate(`bystander after the run: ${String(e)}`));
    for (const m of bystanders.unexpected()) violate(`bystander saw ${JSON.stringify(m).slice(0, 300)}`);
  } finally {
    clearInterval(sampler);
    bystanders.close();
  }
  rss.end = await rssMb(target.pid);
  heap.end = await heapUsedMb(target.adminPort);
  rss.peak = Math.max(rss.peak, rss.end);
  return {
    cases: done,
    seed: options.seed,
    durationMs: Date.now() - startedAt,
    outcomes: Object.fromEntries(Object.entries(outcomes).sort(([a], [b]) => a.localeCompare(b))),
    violations,
    bystander: { probes: bystanders.probes, delivered: bystanders.delivered },
    rssMb: rss,
    heapUsedMb: heap,
  };
}

/**
 * The cases, generated a chunk at a time (chunk k from seed + k): a long run never holds 100k
 * cases, some of them hundreds of kilobytes, in memory at once. Same seed, same cases.
 */
class CaseStream {
  static readonly CHUNK = 500;
  #chunk: FuzzCase[] = [];
  #chunkStart = 0;
  #next = 0;

  constructor(
    private readonly total: number,
    private readonly seed: number,
  ) {}

  next(): [number, FuzzCase] | undefined {
    const i = this.#next;
    if (i >= this.total) return undefined;
    this.#next++;
    if (i >= this.#chunkStart + this.#chunk.length) {
      const k = Math.floor(i / CaseStream.CHUNK);
      this.#chunkStart = k * CaseStream.CHUNK;
      this.#chunk = fc.sample(fuzzCase, { numRuns: CaseStream.CHUNK, seed: (this.seed + k) | 0 });
    }
    return [i, this.#chunk[i - this.#chunkStart]!];
  }

  stop(): void {
    this.#next = this.total;
  }
}

/** A fuzz connection (WebSocket API), with a token granting the fuzz rooms or one of them. */
class PooledConnection {
  private constructor(readonly client: TestClient) {}

  static async open(target: FuzzTarget, worker: number, caseIndex: number): Promise<PooledConnection> {
    const identity = FUZZ_IDENTITIES[(worker + caseIndex) % FUZZ_IDENTITIES.length]!;
    // Most tokens grant any room; some only fz-a, so joins to the others must be forbidden.
    const room = caseIndex % 3 === 0 ? FUZZ_ROOMS[0] : '*';
    const client = await TestClient.connect(`ws://127.0.0.1:${target.port}/ws`, {
      headers: { authorization: `Bearer ${await target.token(identity, room)}` },
    });
    return new PooledConnection(client);
  }

  /** The ack or error answering `id` (received from index `from` on), 'closed', or undefined after the bound. */
  async answer(id: string, from = 0): Promise<Msg | 'closed' | undefined> {
    const match = (m: Msg): boolean => (m.type === 'ack' || m.type === 'error') && m['id'] === id;
    const deadline = Date.now() + ANSWER_MS;
    while (Date.now() < deadline) {
      const found = this.client.received.slice(from).find(match);
      if (found) return found;
      if (!this.client.isOpen) return 'closed';
      await Promise.race([this.client.closed, new Promise((r) => setTimeout(r, 2))]);
    }
    return undefined;
  }

  /** Sends a ping with an id and waits for its ack: everything sent before it was handled. */
  async probe(i: number, from: number): Promise<Msg | 'closed' | undefined> {
    if (!this.client.isOpen) return 'closed';
    const id = `probe-${i}`;
    this.client.send({ type: 'ping', id, ts: i });
    return this.answer(id, from);
  }
}

/** Two clients in a room no fuzz token can reach; `probe` sends data one way and waits for it. */
async function startBystanders(target: FuzzTarget) {
  const room = `bystander-${Date.now()}`;
  const open = async (identity: string): Promise<TestClient> => {
    const client = await TestClient.connect(`ws://127.0.0.1:${target.port}/ws`, {
      headers: { authorization: `Bearer ${await target.token(identity, room)}` },
    });
    client.send({ type: 'join', id: 'join', room });
    await client.take((m) => m.type === 'joined', `${identity} joined the bystander room`, 20_000);
    return client;
  };
  const a = await open('bystander-a');
  const b = await open('bystander-b');
  await a.take((m) => m.type === 'participant_joined', 'bystander-b seen by bystander-a', 20_000);
  let probes = 0;
  let delivered = 0;
  const expected = new Set(['ack', 'ping', 'data', 'joined', 'participant_joined']);
  return {
    get probes() {
      return probes;
    },
    get delivered() {
      return delivered;
    },
    async probe(): Promise<void> {
      const n = ++probes;
      a.send({ type: 'data', id: `by-${n}`, payload: `probe ${n}`, to: ['bystander-b'] });
      await b.take((m) => m.type === 'data' && m['payload'] === `probe ${n}`, `bystander probe ${n}`, 15_000);
      delivered++;
    },
    unexpected(): Msg[] {
      const closed = [a, b].filter((c) => !c.isOpen).map((c) => ({ type: 'closed', client: c === a ? 'a' : 'b' }));
      return [...closed, ...[...a.received, ...b.received].filter((m) => !expected.has(m.type))];
    },
    close(): void {
      a.close();
      b.close();
    },
  };
}
