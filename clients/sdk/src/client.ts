/**
 * SignalClient: one room session over the edge WebSocket (docs/protocol.md). It joins, answers
 * the server's heartbeat, tracks the room sequence, keeps a model of the room's participants, and
 * survives lost connections: it reconnects with a pluggable backoff policy and resumes the
 * session with its last seq (exactly-once, in order), or joins afresh when the resume fails.
 * Media (P2P mesh, SFU) is layered on top: see {@link P2PMesh} and {@link SfuSession}.
 */
import { ExponentialBackoff, type BackoffPolicy } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { SignalClientError } from './errors.js';
import {
  RESUMABLE_CLOSE_CODES,
  tokenProtocols,
  type Outgoing,
  type Participant,
  type ServerMessage,
  type ServerMessageOf,
  type ServerMessageType,
} from './protocol.js';
import { RetryRequests, type RequestRetryPolicy } from './request-retry.js';
import { applyToRoom, RoomModel } from './room.js';
import { SeqTracker } from './sequence.js';
import { transition, type ConnectionState } from './state.js';

/** The WebSocket constructor the client uses (the browser's, Node's global, or `ws`). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/** Options of {@link SignalClient}. */
export interface SignalClientOptions {
  /**
   * Edge WebSocket URL, e.g. `wss://signal.example.com/ws`, or a function called before every
   * connection (to pick another edge after a failure: any edge can resume a session).
   */
  readonly url: string | (() => string);
  /** Access token (JWT), or a function returning a fresh one (called before every connection). */
  readonly token: string | (() => string | Promise<string>);
  /** Reconnect policy. Default: {@link ExponentialBackoff} (0, 0.3, 1.2, 2.7, 4.8 s, then 7 s, with jitter). */
  readonly backoff?: BackoffPolicy;
  /** WebSocket implementation. Default: the global `WebSocket` (browsers, Node ≥ 22). */
  readonly WebSocket?: WebSocketConstructor;
  /** How long a request waits for its ack. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /**
   * When a request that was refused with a retriable error, not acked in time, or lost with the
   * socket is sent again, with the same id (the server decides it once). Default
   * {@link RetryRequests}: 5 attempts in all, the reconnect schedule, `retryAfterMs` respected.
   * {@link NO_REQUEST_RETRY} turns retries off.
   */
  readonly requestRetry?: RequestRetryPolicy;
}

/** Options of {@link SignalClient.join}. */
export interface JoinOptions {
  /** Initial participant metadata (opaque string, often JSON). */
  readonly metadata?: string;
}

/** A state change, with the previous state. */
export interface StateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
}

/**
 * Events of {@link SignalClient}: every server message type by its `type` (sequenced messages
 * are emitted once, in order, duplicates dropped), plus the client's own events.
 */
export type SignalClientEvents = { [K in ServerMessageType]: ServerMessageOf<K> } & {
  /** The connection state changed. */
  state: StateChange;
  /** The participant list (others) or one of them changed. */
  participants: ReadonlyMap<string, Participant>;
  /** A session began: the first join, or a fresh join after a failed resume (media must start over). */
  session: ServerMessageOf<'joined'>;
};

const DROP_CODE = 4000;
/** Before `joined` tells the real value, a server silent this long is presumed dead. */
const DEFAULT_SILENCE_MS = 15_000;

interface Pending {
  resolve(): void;
  reject(error: SignalClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A room session over the signaling WebSocket. */
export class SignalClient extends TypedEmitter<SignalClientEvents> {
  readonly #options: SignalClientOptions;
  readonly #backoff: BackoffPolicy;
  readonly #requestRetry: RequestRetryPolicy;
  readonly #seq = new SeqTracker();
  readonly #roomModel = new RoomModel();
  readonly #pending = new Map<string, Pending>();
  #state: ConnectionState = { status: 'idle' };
  #ws: WebSocket | null = null;
  #room: string | null = null;
  #metadata: string | undefined;
  #sessionId: string | null = null;
  #identity: string | null = null;
  #requests = 0;
  #attempt = 0;
  #lostAt: number | null = null;
  #silenceMs = DEFAULT_SILENCE_MS;
  #watchdog: ReturnType<typeof setTimeout> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #joinWaiter: { resolve(m: ServerMessageOf<'joined'>): void; reject(e: Error): void } | null = null;

  constructor(options: SignalClientOptions) {
    super();
    this.#options = options;
    this.#backoff = options.backoff ?? new ExponentialBackoff();
    this.#requestRetry = options.requestRetry ?? new RetryRequests();
  }

  /** The current connection state. */
  get state(): ConnectionState {
    return this.#state;
  }
  /** The session id assigned by the server (survives resumes), or null before joining. */
  get sessionId(): string | null {
    return this.#sessionId;
  }
  /** This participant's identity (the token subject), known after joining. */
  get identity(): string | null {
    return this.#identity;
  }
  /** The room joined (or being joined). */
  get room(): string | null {
    return this.#room;
  }
  /** The last applied room sequence number. */
  get lastSeq(): number | null {
    return this.#seq.lastSeq;
  }
  /** The other participants of the room by session id. */
  get participants(): ReadonlyMap<string, Participant> {
    return this.#roomModel.participants;
  }
  /** This participant as the room sees it. */
  get self(): Participant | null {
    return this.#roomModel.self;
  }
  /** The room's metadata. */
  get roomMetadata(): string {
    return this.#roomModel.metadata;
  }

  /** Connects and joins `room`; resolves with `joined`, rejects with a {@link SignalClientError}. */
  join(room: string, options: JoinOptions = {}): Promise<ServerMessageOf<'joined'>> {
    if (this.#state.status !== 'idle')
      return Promise.reject(new SignalClientError('bad_request', `join() in state ${this.#state.status}`, false));
    this.#room = room;
    this.#metadata = options.metadata;
    const joined = new Promise<ServerMessageOf<'joined'>>((resolve, reject) => {
      this.#joinWaiter = { resolve, reject };
    });
    void this.#connect();
    return joined;
  }

  /** Leaves the room (the server confirms) and closes the client. */
  async leave(): Promise<void> {
    if (this.#state.status === 'joined') await this.request({ type: 'leave' }).catch(() => undefined);
    this.close();
  }

  /**
   * Closes the client: the socket closes with 1000 (the room sees a clean departure at once),
   * timers stop, pending requests fail with `client_closed`. Idempotent.
   */
  close(): void {
    if (this.#state.status === 'closed') return;
    this.#finish({ status: 'closed', reason: 'client' }, SignalClientError.closed(), 1000);
  }

  /** Sends a message without waiting for an answer; throws `connection_lost` when no socket is usable. */
  send(message: Outgoing): void {
    this.#sendRaw(message);
  }

  /**
   * Sends a message with a request id; resolves on its ack, rejects with the server's error. A
   * retriable failure (see `requestRetry`) sends it again with the same id, once the session is
   * joined again, until the policy gives up: then it rejects with the last error.
   */
  async request(message: Outgoing): Promise<void> {
    const id = `r${++this.#requests}`;
    const session = this.#sessionId;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#requestOnce(message, id);
      } catch (error) {
        if (!(error instanceof SignalClientError)) throw error;
        const elapsedMs = Date.now() - started;
        const delayMs = this.#requestRetry.nextRequestDelayMs({ type: message.type, attempt, elapsedMs, error });
        if (delayMs === null) throw error;
        await this.#readyToRetry(delayMs, session, error);
      }
    }
  }

  /**
   * Resolves after `delayMs` once the client is joined in `session` (after a resume, its replay
   * included); rejects with `error` if the session is over (a fresh join is another session, where
   * the id would be a new request), or with the reason the client closed.
   */
  #readyToRetry(delayMs: number, session: string | null, error: SignalClientError): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let waiting = true;
      const check = () => {
        const state = this.#state;
        let failure: Error | null = null;
        if (state.status === 'closed') failure = state.error ?? SignalClientError.closed();
        else if (this.#sessionId !== session && (session === null || this.#sessionId !== null)) failure = error;
        else if (waiting || state.status !== 'joined') return;
        off();
        clearTimeout(timer);
        if (failure) reject(failure);
        else resolve();
      };
      const off = this.on('state', check);
      const timer = setTimeout(() => {
        waiting = false;
        check();
      }, delayMs);
    });
  }

  /** One attempt of a request: resolves on the ack of `id`, rejects on its error, loss or timeout. */
  #requestOnce(message: Outgoing, id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalClientError('timeout', `no answer to ${message.type} within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.#sendRaw({ ...message, id });
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Sends a data message to the room, or to `to` (identities). */
  sendData(payload: string, options: { to?: string[]; topic?: string } = {}): Promise<void> {
    return this.request({ type: 'data', payload, ...options });
  }

  /** Changes this participant's display name and/or metadata. */
  updateMetadata(update: { name?: string; metadata?: string }): Promise<void> {
    return this.request({ type: 'update_metadata', ...update });
  }

  /**
   * Drops the WebSocket as a network failure would (no leave, no clean close), so that the client
   * reconnects and resumes. For tests and diagnostics.
   */
  dropConnection(): void {
    const ws = this.#ws;
    if (!ws) return;
    this.#detach(ws, DROP_CODE);
    this.#onLost(1006, 'dropped by dropConnection()');
  }

  // ---- connection --------------------------------------------------------------------------

  async #connect(): Promise<void> {
    const resuming = this.#sessionId !== null && this.#seq.lastSeq !== null;
    this.#setState({ status: 'connecting', attempt: this.#attempt, resuming });
    let token: string;
    try {
      token = typeof this.#options.token === 'string' ? this.#options.token : await this.#options.token();
    } catch (error) {
      if (this.#state.status === 'connecting') this.#onLost(1006, `token: ${String(error)}`);
      return;
    }
    if (this.#state.status !== 'connecting') return;
    const WS = this.#options.WebSocket ?? globalThis.WebSocket;
    const url = typeof this.#options.url === 'string' ? this.#options.url : this.#options.url();
    let ws: WebSocket;
    try {
      ws = new WS(url, tokenProtocols(token));
    } catch (error) {
      const failure = new SignalClientError('bad_request', `cannot open ${url}: ${String(error)}`, false, {
        cause: error,
      });
      this.#finish({ status: 'closed', reason: 'client', error: failure }, failure);
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#armWatchdog();
      const resume =
        resuming && this.#sessionId !== null && this.#seq.lastSeq !== null
          ? { resume: { sessionId: this.#sessionId, lastSeq: this.#seq.lastSeq } }
          : {};
      const metadata = this.#metadata === undefined || resuming ? {} : { metadata: this.#metadata };
      this.#sendRaw({ type: 'join', id: 'join', room: this.#room ?? '', ...metadata, ...resume }, true);
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.#ws !== ws) return;
      this.#armWatchdog();
      if (typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch {
        return;
      }
      this.#onMessage(message);
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#onLost(event.code, event.reason);
    };
  }

  #onLost(closeCode: number, reason: string): void {
    this.#clearWatchdog();
    this.#ws = null;
    this.#rejectPending(SignalClientError.connectionLost(`socket closed (${closeCode} ${reason})`));
    const status = this.#state.status;
    if (status === 'closed' || status === 'idle') return;
    if (!RESUMABLE_CLOSE_CODES.has(closeCode)) {
      const error = new SignalClientError(
        'connection_closed',
        `the server closed the connection (${closeCode}${reason ? ` ${reason}` : ''})`,
        false,
        { closeCode },
      );
      this.#finish({ status: 'closed', reason: 'server', error }, error);
      return;
    }
    this.#lostAt ??= Date.now();
    const attempt = this.#attempt++;
    const delayMs = this.#backoff.nextRetryDelayMs({ attempt, elapsedMs: Date.now() - this.#lostAt, closeCode });
    if (delayMs === null) {
      const error = new SignalClientError(
        'reconnect_exhausted',
        `gave up reconnecting after ${attempt} attempts`,
        false,
      );
      this.#finish({ status: 'closed', reason: 'reconnect_exhausted', error }, error);
      return;
    }
    this.#setState({ status: 'reconnecting', attempt, delayMs, closeCode });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#state.status === 'reconnecting') void this.#connect();
    }, delayMs);
  }

  /** Enters `closed` (from any state but closed), releasing everything. */
  #finish(next: ConnectionState & { status: 'closed' }, error: SignalClientError, closeCode = DROP_CODE): void {
    if (this.#state.status === 'closed') return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#clearWatchdog();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) this.#detach(ws, closeCode);
    this.#rejectPending(error);
    this.#seq.clear();
    this.#setState(next);
    this.#joinWaiter?.reject(next.error ?? error);
    this.#joinWaiter = null;
  }

  #detach(ws: WebSocket, code: number): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = null;
    if (this.#ws === ws) this.#ws = null;
    try {
      if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(code);
    } catch {
      // Already closing: nothing to release.
    }
  }

  #armWatchdog(): void {
    this.#clearWatchdog();
    const ws = this.#ws;
    this.#watchdog = setTimeout(() => {
      if (ws === null || this.#ws !== ws) return;
      // A silent server is a dead path (proxies may keep the TCP connection up): resume elsewhere.
      this.#detach(ws, DROP_CODE);
      this.#onLost(1006, 'server silent for the heartbeat timeout');
    }, this.#silenceMs);
  }

  #clearWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }

  #sendRaw(message: Record<string, unknown> & { type: string }, joining = false): void {
    if (this.#state.status === 'closed') throw SignalClientError.closed();
    const ws = this.#ws;
    const usable = ws !== null && ws.readyState === ws.OPEN && (joining || this.#sessionId !== null);
    if (!usable) throw SignalClientError.connectionLost(`cannot send ${message.type} while ${this.#state.status}`);
    ws.send(JSON.stringify(message));
  }

  #rejectPending(error: SignalClientError): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(error);
    }
  }

  // ---- messages ----------------------------------------------------------------------------

  #onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'ping':
        this.#trySend({ type: 'pong', ts: m.ts });
        break;
      case 'ack':
        this.#settle(m.id, null);
        return this.emit('ack', m);
      case 'error':
        // The join itself was refused, by the edge (no seq) or by the room (room_full…, with a seq
        // that belongs to no session of ours).
        if (m.id === 'join') return this.#joinRefused(m);
        if (m.seq === undefined && m.id !== undefined) this.#settle(m.id, SignalClientError.fromServer(m));
        break;
      case 'joined':
        return this.#onJoined(m);
      case 'resume_failed':
        return this.#onResumeFailed(m);
      case 'notice':
        this.#onNotice(m);
        break;
      default:
        break;
    }
    // Room events (including an `error` rendered from a rejected command) carry a seq: a replayed
    // duplicate around a resume is dropped here, before anyone sees it.
    const seq = (m as { seq?: unknown }).seq;
    if (typeof seq === 'number' && !this.#seq.accept(seq)) return;
    if (m.type === 'resumed') this.#onLive();
    if (applyToRoom(this.#roomModel, m)) this.emit('participants', this.#roomModel.participants);
    this.emit(m.type, m);
    if (m.type === 'error' && m.seq !== undefined && m.id !== undefined) {
      this.#settle(m.id, SignalClientError.fromServer(m));
    }
  }

  #onJoined(m: ServerMessageOf<'joined'>): void {
    this.#seq.reset(m.seq);
    this.#sessionId = m.sessionId;
    this.#identity = m.self.identity;
    this.#silenceMs = m.heartbeat.timeoutMs;
    this.#armWatchdog();
    this.#roomModel.reset(m);
    this.#onLive();
    this.emit('joined', m);
    this.emit('session', m);
    this.emit('participants', this.#roomModel.participants);
    this.#joinWaiter?.resolve(m);
    this.#joinWaiter = null;
  }

  #onLive(): void {
    this.#attempt = 0;
    this.#lostAt = null;
    if (this.#state.status === 'connecting' && this.#sessionId !== null && this.#room !== null)
      this.#setState({ status: 'joined', room: this.#room, sessionId: this.#sessionId });
  }

  #onResumeFailed(m: ServerMessageOf<'resume_failed'>): void {
    // The session is over: its seq means nothing to a new session.
    this.#seq.clear();
    this.#sessionId = null;
    this.emit('resume_failed', m);
    // A fresh join on a fresh socket: the old one already holds a (failed) join.
    const ws = this.#ws;
    if (ws) this.#detach(ws, 1000);
    this.#clearWatchdog();
    this.#rejectPending(SignalClientError.connectionLost('resume failed'));
    if (this.#state.status !== 'connecting') return;
    this.#setState({ status: 'reconnecting', attempt: this.#attempt, delayMs: 0, closeCode: 1000 });
    void this.#connect();
  }

  #onNotice(m: ServerMessageOf<'notice'>): void {
    if (m.kind === 'token_expiring' && typeof this.#options.token === 'function') {
      // Keep the session: a fresh token for the same identity before the old one expires.
      const fetchToken = this.#options.token;
      void Promise.resolve()
        .then(fetchToken)
        .then((token) => this.request({ type: 'refresh_token', token }))
        .catch(() => undefined);
    } else if (m.kind === 'reconnect_elsewhere') {
      // This edge is draining: move now (url() may pick another edge) and resume there.
      queueMicrotask(() => this.dropConnection());
    }
  }

  #joinRefused(m: ServerMessageOf<'error'>): void {
    const error = SignalClientError.fromServer(m);
    if (m.retriable) {
      const ws = this.#ws;
      if (ws) this.#detach(ws, DROP_CODE);
      this.#onLost(1013, `join refused: ${m.code}`);
      return;
    }
    this.emit('error', m);
    this.#finish({ status: 'closed', reason: 'server', error }, error);
  }

  #settle(id: string, error: SignalClientError | null): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve();
  }

  #trySend(message: Outgoing): void {
    try {
      this.#sendRaw(message, true);
    } catch {
      // No usable socket: the heartbeat is answered on the next one.
    }
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state;
    this.#state = transition(previous, next);
    this.emit('state', { state: next, previous });
  }
}
