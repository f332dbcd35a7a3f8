/**
 * A load client of the fault suite: one participant in one room, over a real WebSocket to an edge.
 * It records everything in the shared ledger (what it sent, what was acked or refused, every room
 * message it received) and resumes the way docs/protocol.md tells a client to: on a close whose
 * code invites it (or a dropped connection), reconnect to another edge with backoff and send
 * `join {room, resume: {sessionId, lastSeq}}`. It does not depend on the SDK on purpose: the
 * suite checks the server against the protocol document, not against one client's reading of it.
 */
import { payloadIdOf, type Ledger } from '../ledger.js';
import { RawWs, type RawClose } from './raw-ws.js';

/** Close codes after which a client resumes (docs/protocol.md, close codes; 1006 = dropped). */
export const RESUMABLE_CLOSES: ReadonlySet<number> = new Set([1001, 1006, 1011, 1013, 4004, 4005, 4006]);

/** The protocol's suggested reconnect backoff (ms), then every 7 s; each with jitter. */
const BACKOFF_MS = [0, 300, 1200, 2700, 4800];

type Msg = Record<string, unknown> & { type: string };

/** `connecting` → `joined` ⇄ `resuming`; `failed` (a non-resumable close) and `stopped` are final. */
export type ClientState = 'idle' | 'connecting' | 'joined' | 'resuming' | 'failed' | 'stopped';

/** One completed resume: what closed, and how long until `resumed`. */
export interface ResumeRecord {
  readonly closeCode: number;
  readonly ms: number;
  readonly replayed: number;
  readonly at: number;
}

export interface ChaosClientOptions {
  readonly identity: string;
  readonly room: string;
  readonly ledger: Ledger;
  /** WebSocket URLs of the edges that are up now. */
  readonly edges: () => readonly string[];
  /** Upgrade headers (the bearer token). */
  readonly headers: Record<string, string>;
  /** Called with each room message (after the ledger saw it), e.g. for media handling. */
  readonly onMessage?: (m: Msg) => void;
}

export class ChaosClient {
  readonly identity: string;
  readonly room: string;
  state: ClientState = 'idle';
  sessionId: string | undefined;
  lastSeq = 0;
  edgeUrl = '';
  readonly resumes: ResumeRecord[] = [];
  readonly closes: RawClose[] = [];
  /** Data messages sent on the current socket and not yet answered (ack or error). */
  readonly unanswered = new Set<string>();
  /** Room-mates this client was told are `reconnecting` (identity, when). */
  readonly reconnectingSeen: { identity: string; at: number }[] = [];
  /** Things a correct server never makes a client do (resume_failed, non-resumable close). */
  readonly problems: string[] = [];
  readonly #o: ChaosClientOptions;
  #ws: RawWs | undefined;
  #n = 0;
  #resumeFrom: { at: number; code: number } | undefined;
  #attempt = 0;
  #requests = 0;
  #joined: (() => void) | undefined;

  constructor(options: ChaosClientOptions) {
    this.#o = options;
    this.identity = options.identity;
    this.room = options.room;
  }

  /** Connects to `url` and joins; resolves once `joined` arrived. */
  async start(url: string, timeoutMs = 30_000): Promise<void> {
    this.state = 'connecting';
    const joined = new Promise<void>((resolve) => (this.#joined = resolve));
    await this.#open(url);
    this.#send({ type: 'join', id: this.#requestId('join'), room: this.room });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${this.identity} not joined within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** True when it can send (joined and its socket open). */
  get ready(): boolean {
    return this.state === 'joined' && (this.#ws?.isOpen ?? false);
  }

  /** Sends one data message (to the room, or to `to`) and records it; false when not joined. */
  sendData(to?: readonly string[], padding = 0): boolean {
    if (!this.ready) return false;
    const n = ++this.#n;
    const sent = this.#o.ledger.send(this.room, this.identity, n, to, Date.now());
    const payload = padding > 0 ? `${sent.payloadId}|${'x'.repeat(padding)}` : sent.payloadId;
    this.unanswered.add(sent.payloadId);
    this.#send({ type: 'data', id: sent.payloadId, payload, ...(to === undefined ? {} : { to: [...to] }) });
    return true;
  }

  /** Sends any client message (publish…) with a fresh request id; returns the id. */
  request(message: Record<string, unknown>): string {
    const id = this.#requestId(String(message['type']));
    this.#send({ ...message, id });
    return id;
  }

  /** Stops reading its socket: a stuck client, a slow consumer for the edge. */
  stall(): void {
    this.#ws?.pause();
  }

  /** Reads again (what was buffered, then whatever the edge did meanwhile). */
  unstall(): void {
    this.#ws?.resume();
  }

  /** Leaves for good (no resume). */
  stop(): void {
    this.state = 'stopped';
    this.#ws?.destroy();
  }

  #requestId(kind: string): string {
    return `${kind}-${++this.#requests}`;
  }

  #send(message: Record<string, unknown>): void {
    this.#ws?.send(JSON.stringify(message));
  }

  async #open(url: string): Promise<void> {
    const ws = await RawWs.open(url, this.#o.headers);
    this.#ws = ws;
    this.edgeUrl = url;
    ws.onText = (text) => this.#onMessage(JSON.parse(text) as Msg);
    void ws.closed.then((close) => this.#onClose(ws, close));
  }

  #onMessage(m: Msg): void {
    const { ledger } = this.#o;
    const seq = typeof m['seq'] === 'number' ? m['seq'] : undefined;
    const id = typeof m['id'] === 'string' ? m['id'] : undefined;
    if (m.type === 'ping') return this.#send({ type: 'pong', ts: m['ts'] });
    if (id !== undefined && (m.type === 'ack' || (m.type === 'error' && seq === undefined))) this.unanswered.delete(id);
    if (m.type === 'ack' && id !== undefined) return ledger.ack(id);
    if (m.type === 'error' && seq === undefined) {
      if (id !== undefined) ledger.refuse(id);
      // A join or resume the edge could not log (Kafka down): try again on the same socket.
      if (id?.startsWith('join-') && this.state !== 'joined') this.#retryJoin();
      return;
    }
    if (seq === undefined) return;
    if (m.type === 'error' && id !== undefined) ledger.reject(id, String(m['code']), seq);
    const payload = m.type === 'data' && typeof m['payload'] === 'string' ? payloadIdOf(m['payload']) : undefined;
    ledger.receive(
      this.identity,
      this.room,
      {
        type: m.type,
        seq,
        ...(typeof m['from'] === 'string' ? { from: m['from'] } : {}),
        ...(payload === undefined ? {} : { payloadId: payload }),
      },
      Date.now(),
    );
    if (seq > this.lastSeq) this.lastSeq = seq;
    if (m.type === 'participant_updated' && m['status'] === 'reconnecting')
      this.reconnectingSeen.push({ identity: String(m['identity']), at: Date.now() });
    if (m.type === 'joined') {
      this.sessionId = m['sessionId'] as string;
      ledger.join(this.room, this.identity);
      this.state = 'joined';
      this.#joined?.();
    } else if (m.type === 'resumed') {
      const from = this.#resumeFrom;
      if (from !== undefined) {
        this.resumes.push({
          closeCode: from.code,
          ms: Date.now() - from.at,
          replayed: m['replayed'] as number,
          at: Date.now(),
        });
      }
      this.#resumeFrom = undefined;
      this.#attempt = 0;
      this.state = 'joined';
    } else if (m.type === 'resume_failed') {
      this.problems.push(`resume_failed (${String(m['reason'])}) after close ${this.#resumeFrom?.code ?? '?'}`);
      // Per the protocol: a new session with a full join. The ledger will show what was lost.
      this.#send({ type: 'join', id: this.#requestId('join'), room: this.room });
    }
    this.#o.onMessage?.(m);
  }

  #retryJoin(): void {
    const timer = setTimeout(() => {
      if (this.state === 'stopped' || !(this.#ws?.isOpen ?? false)) return;
      this.#sendJoin();
    }, 500);
    timer.unref();
  }

  #sendJoin(): void {
    const resume = this.sessionId === undefined ? {} : { resume: { sessionId: this.sessionId, lastSeq: this.lastSeq } };
    this.#send({ type: 'join', id: this.#requestId('join'), room: this.room, ...resume });
  }

  #onClose(ws: RawWs, close: RawClose): void {
    if (ws !== this.#ws) return;
    this.closes.push(close);
    // Their answer died with the socket: logged or not, nobody will say (the ledger allows either).
    this.unanswered.clear();
    if (this.state === 'stopped') return;
    if (!RESUMABLE_CLOSES.has(close.code)) {
      this.state = 'failed';
      this.problems.push(`closed with ${close.code} ${close.reason}: not resumable`);
      return;
    }
    this.#resumeFrom ??= { at: close.at, code: close.code };
    this.state = 'resuming';
    void this.#reconnect(this.edgeUrl);
  }

  async #reconnect(lost: string): Promise<void> {
    for (;;) {
      const base = BACKOFF_MS[this.#attempt] ?? 7000;
      this.#attempt++;
      if (base > 0) await new Promise((resolve) => setTimeout(resolve, base * (0.75 + Math.random() * 0.5)));
      if (this.state === 'stopped') return;
      const up = this.#o.edges();
      const others = up.filter((u) => u !== lost);
      const pool = others.length > 0 ? others : up;
      const url = pool[Math.floor(Math.random() * pool.length)];
      if (url === undefined) continue;
      try {
        await this.#open(url);
      } catch {
        continue;
      }
      if (this.sessionId === undefined) this.state = 'connecting';
      this.#sendJoin();
      return;
    }
  }
}
