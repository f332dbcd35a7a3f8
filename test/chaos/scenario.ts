/**
 * The fault suite's scenario: a load of ledger clients in many rooms on a ChaosStack, and one
 * fault at a time, each followed by a recovery check and a ledger check. Shared by the short
 * version inside `npm test` (faults.int.test.ts) and `npm run chaos` (faults.chaos.test.ts).
 */
import { bearer, token } from '../edge/support/tokens.js';
import { randomSuffix } from '../support/ids.js';
import { waitFor } from '../support/wait.js';
import { FAULTS, type FaultName } from './faults.js';
import { describeViolation, Ledger } from './ledger.js';
import { percentile, type FaultResult } from './report.js';
import { ChaosClient } from './support/chaos-client.js';
import { Publisher } from './support/publisher.js';
import type { ChaosStack } from './support/stack.js';
import type { EdgeProcess } from '../edge/support/edge-process.js';

export interface ChaosOptions {
  readonly clients: number;
  readonly rooms: number;
  /** Steady load before each fault and after its recovery (ms). */
  readonly phaseMs: number;
  /** Data messages per second per client. */
  readonly rate: number;
  readonly faults: readonly FaultName[];
  /** How long Redis stays down. */
  readonly redisOutageMs: number;
  /** Longest wait for recovery, or for every acked message to be delivered. */
  readonly settleTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** One fault's own outcome; the run adds the ledger's view. */
export interface FaultOutcome {
  readonly recoveryMs: number;
  readonly notes: string[];
  readonly failures: string[];
}

const TICK_MS = 50;

/**
 * Room events an edge refused to write twice to a connection (signal_edge_deliveries_dropped_total
 * with reason duplicate_seq). The edge hides such a duplicate from its client, so the ledger cannot
 * see it: the suite reads it here, since it means a record was written or read twice upstream.
 */
async function duplicatesDropped(edge: EdgeProcess): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`)).text();
    const line = /^signal_edge_deliveries_dropped_total\{[^}]*reason="duplicate_seq"[^}]*\} (\d+)$/m.exec(text);
    return line ? Number(line[1]) : 0;
  } catch {
    return 0; // a killed edge: its clients' ledgers tell what they got
  }
}

export class ChaosRun {
  readonly ledger = new Ledger();
  readonly clients: ChaosClient[] = [];
  readonly publishers: Publisher[] = [];
  readonly #stalled = new Set<ChaosClient>();
  #load: NodeJS.Timeout | undefined;
  #reported = new Set<string>();

  constructor(
    readonly stack: ChaosStack,
    readonly o: ChaosOptions,
  ) {}

  /** Connects and joins every client (spread over the edges), and publishes when the SFU fault runs. */
  async connectAll(): Promise<void> {
    const tag = randomSuffix();
    const urls = this.stack.edgeUrls();
    const withMedia = this.o.faults.includes('sfu-kill');
    for (let i = 0; i < this.o.clients; i++) {
      const identity = `c${i}`;
      let publisher: Publisher | undefined;
      const client = new ChaosClient({
        identity,
        room: `chaos-${tag}-r${i % this.o.rooms}`,
        ledger: this.ledger,
        edges: () => this.stack.edgeUrls(),
        headers: bearer(await token({ sub: identity, expiresIn: 24 * 3600 })),
        onMessage: (m) => publisher?.onMessage(m),
      });
      // Two publishers in the first room.
      if (withMedia && i % this.o.rooms === 0 && this.publishers.length < 2) {
        publisher = new Publisher(client);
        this.publishers.push(publisher);
      }
      this.clients.push(client);
    }
    // Room-mates on different edges: a dead edge then takes part of each room, not whole rooms.
    const edgeOf = (i: number) => urls[((i % this.o.rooms) + Math.floor(i / this.o.rooms)) % urls.length]!;
    for (let i = 0; i < this.clients.length; i += 10) {
      await Promise.all(this.clients.slice(i, i + 10).map((c, j) => c.start(edgeOf(i + j))));
    }
    for (const p of this.publishers) await p.publish();
    await waitFor(() => this.publishers.every((p) => p.answers > 0), {
      timeoutMs: 30_000,
      message: 'every publisher got the SFU answer',
    });
  }

  /** Starts the load: each client sends `rate` data messages per second to its room, at random. */
  startLoad(): void {
    this.stopLoad();
    const p = (this.o.rate * TICK_MS) / 1000;
    this.#load = setInterval(() => {
      for (const c of this.clients) if (!this.#stalled.has(c) && Math.random() < p) c.sendData();
    }, TICK_MS);
  }

  stopLoad(): void {
    clearInterval(this.#load);
    this.#load = undefined;
  }

  /** Keeps `client` out of the regular load (it is being stalled). */
  setStalled(client: ChaosClient, stalled: boolean): void {
    if (stalled) this.#stalled.add(client);
    else this.#stalled.delete(client);
  }

  /** Every client joined (none resuming or gone). */
  allJoined(): boolean {
    return this.clients.every((c) => c.state === 'joined');
  }

  /**
   * Waits until the system works normally again after a fault injected at `t0`: every client is
   * joined and every acked message older than a second has reached all its recipients.
   */
  async recovered(t0: number, what: string): Promise<number> {
    // Not before a second has passed: only then are messages stalled by the fault "older than 1 s".
    const ok = () => Date.now() - t0 >= 1000 && this.allJoined() && this.ledger.outstanding(Date.now() - 1000) === 0;
    await waitFor(ok, {
      timeoutMs: this.o.settleTimeoutMs,
      intervalMs: 100,
      message: `recovery after ${what}: ${this.#status()}`,
    });
    return Date.now() - t0;
  }

  /** When the current fault was injected (faults call `injected()`). */
  #injectedAt = 0;

  /** Marks the injection of the fault; returns the time. */
  injected(): number {
    return (this.#injectedAt = Date.now());
  }

  /** Runs one fault between two phases of steady load and returns what the ledgers show. */
  async run(fault: FaultName): Promise<FaultResult> {
    const before = this.ledger.totals();
    const phaseStart = Date.now();
    const problemsBefore = new Map(this.clients.map((c) => [c, c.problems.length]));
    const dropsBefore = new Map(
      await Promise.all(this.stack.edges.map(async (e) => [e, await duplicatesDropped(e)] as const)),
    );
    const failures: string[] = [];
    let outcome: FaultOutcome | undefined;
    this.startLoad();
    await this.#hold(this.o.phaseMs);
    try {
      this.o.log(`[chaos] ${fault}: injecting`);
      outcome = await FAULTS[fault](this);
      await this.#hold(this.o.phaseMs);
    } catch (error) {
      failures.push(`${fault} did not recover: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.stopLoad();
    const loadEnd = Date.now();
    try {
      // Also every message answered: one acked later (an edge's produce retried across an outage)
      // would otherwise be counted lost in the next fault's baseline and delivered during it.
      const answered = () => this.clients.every((c) => c.unanswered.size === 0);
      await waitFor(() => this.allJoined() && answered() && this.ledger.outstanding() === 0, {
        timeoutMs: this.o.settleTimeoutMs,
        intervalMs: 100,
        message: `every message answered and every acked one delivered after ${fault}: ${this.#status()}`,
      });
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
    for (const edge of [...this.stack.edges]) {
      const dropped = (await duplicatesDropped(edge)) - (dropsBefore.get(edge) ?? 0);
      if (dropped > 0)
        failures.push(`edge ${edge.edgeId} dropped ${dropped} room event(s) already delivered (duplicate_seq)`);
    }
    const violations = this.ledger.check();
    const fresh = violations.map(describeViolation).filter((v) => !this.#reported.has(v));
    for (const v of fresh) this.#reported.add(v);
    const after = this.ledger.totals(violations);
    for (const c of this.clients) {
      for (const p of c.problems.slice(problemsBefore.get(c))) failures.push(`${c.identity} (${c.room}): ${p}`);
    }
    const resumeMs = this.clients.flatMap((c) => c.resumes.filter((r) => r.at >= phaseStart).map((r) => r.ms));
    return {
      fault,
      clients: this.clients.length,
      acked: after.acked - before.acked,
      refused: after.refused - before.refused,
      lost: after.lost - before.lost,
      duplicated: after.duplicated - before.duplicated,
      otherViolations: after.otherViolations - before.otherViolations,
      resumes: resumeMs.length,
      resumeP50Ms: percentile(resumeMs, 50),
      resumeP99Ms: percentile(resumeMs, 99),
      recoveryMs: outcome?.recoveryMs,
      worstDelayMs:
        outcome === undefined ? undefined : this.ledger.worstDelay(this.#injectedAt - 1000, loadEnd, this.#injectedAt),
      failures: [...(outcome?.failures ?? []), ...failures, ...fresh],
      notes: outcome?.notes ?? [],
    };
  }

  /** Leaves: every client stops, publishers close their connections. */
  async close(): Promise<void> {
    this.stopLoad();
    for (const c of this.clients) c.stop();
    await Promise.all(this.publishers.map((p) => p.close()));
  }

  /** The load runs for `ms` (a phase's length, not a synchronisation). */
  #hold(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  #status(): string {
    const states = new Map<string, number>();
    for (const c of this.clients) states.set(c.state, (states.get(c.state) ?? 0) + 1);
    return `clients ${JSON.stringify(Object.fromEntries(states))}, undelivered (message, recipient) pairs ${this.ledger.outstanding()}, unanswered messages ${this.clients.reduce((n, c) => n + c.unanswered.size, 0)}`;
  }
}
