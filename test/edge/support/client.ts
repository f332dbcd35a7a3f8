/**
 * A WebSocket test client over Node's built-in WebSocket (which can set request headers). It keeps
 * every message it received, answers the edge's app-level pings unless told not to, and lets a
 * test wait for a specific message or for the close, with bounded waits and clear failures.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

/** A server message as parsed JSON. */
export type Msg = Record<string, unknown> & { type: string };

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly at: number;
}

export interface ConnectOptions {
  readonly headers?: Record<string, string>;
  readonly protocols?: string[];
  /** Answer server `ping` with `pong` (default true). */
  readonly autoPong?: boolean;
}

export class TestClient {
  readonly received: Msg[] = [];
  readonly closed: Promise<CloseInfo>;
  /** When the last frame was sent (to measure heartbeat timeouts). */
  lastSentAt = 0;
  autoPong: boolean;
  readonly #ws: WebSocket;
  readonly #inbox: Msg[] = [];
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket, autoPong: boolean) {
    this.#ws = ws;
    this.autoPong = autoPong;
    ws.addEventListener('message', (event) => {
      const msg = JSON.parse(String(event.data)) as Msg;
      this.received.push(msg);
      if (msg.type === 'ping' && this.autoPong) this.send({ type: 'pong', ts: msg['ts'] });
      this.#inbox.push(msg);
      for (const w of [...this.#waiters]) w();
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener('close', (event) => {
        resolve({ code: event.code, reason: event.reason, at: Date.now() });
        for (const w of [...this.#waiters]) w();
      }),
    );
  }

  /** Opens a connection; rejects if the upgrade fails. */
  static async connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
    const init = { headers: options.headers ?? {}, ...(options.protocols ? { protocols: options.protocols } : {}) };
    // Node's WebSocket takes { headers, protocols }; the DOM typings (tsconfig.test.json) only know protocols.
    const ws = new WebSocket(url, init as unknown as string[]);
    const client = new TestClient(ws, options.autoPong ?? true);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`WebSocket to ${url} did not open`)), { once: true });
    });
    return client;
  }

  /** The subprotocol the server selected. */
  get protocol(): string {
    return this.#ws.protocol;
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  send(message: object | string | Uint8Array): void {
    this.lastSentAt = Date.now();
    this.#ws.send(typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message));
  }

  close(code = 1000): void {
    this.#ws.close(code);
  }

  /** Removes and returns the first received message matching `match` (waiting for it if needed). */
  async take(match: (m: Msg) => boolean, what: string, timeoutMs = 10_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex(match);
      if (i >= 0) return this.#inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.received.slice(-10))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const waiter = (): void => {
          clearTimeout(timer);
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          resolve();
        };
        const timer = setTimeout(waiter, left);
        this.#waiters.push(waiter);
      });
    }
  }

  /** The answer (`ack` or `error`) to the message with request id `id`. */
  answerTo(id: string, timeoutMs = 10_000): Promise<Msg> {
    return this.take(
      (m) => (m.type === 'ack' || m.type === 'error') && m['id'] === id,
      `the answer to request "${id}"`,
      timeoutMs,
    );
  }

  /** Resolves with the close, or fails after `timeoutMs`. */
  async closeWithin(timeoutMs: number, what = 'the server to close the connection'): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.closed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.received.slice(-10))}`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The HTTP answer to an upgrade request that was refused (or 101 when it was not). */
export interface UpgradeAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Sends a raw WebSocket upgrade with `headers` and returns the status and body (the WebSocket API hides both). */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.setTimeout(10_000, () => req.destroy(new Error('upgrade request timed out')));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
