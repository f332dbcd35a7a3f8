/**
 * uWebSockets.js transport: the upgrade handshake, frames in, frames out, closes. Policy lives in
 * the gateway; this file only honours uWS' rules:
 * - request headers live only until the handler returns or awaits: copy them first;
 * - an async upgrade must register `onAborted` and must not touch `res` after an abort;
 * - writes after an await go inside `res.cork`;
 * - a frame above `maxPayloadLength` is dropped by uWS with a bare TCP close (no close code), so
 *   uWS' cap is set above the protocol cap: frames between the two get a proper 1009 from the
 *   gateway, and only absurd frames (over twice the cap) meet the bare close;
 * - text goes out as UTF-8 bytes, never as a JS string: this uWS build copies a string's one-byte
 *   (Latin-1) representation as is, so "é" went out as the byte 0xE9, an invalid UTF-8 text frame
 *   that made every browser fail the connection (1006). Found by the fuzzer (test/fuzz);
 * - uWS drops any frame, the close frame included, while more than `maxBackpressure` is buffered.
 *   The gateway closes a slow consumer with 4004 once its buffer passes SEND_BUFFER_MAX_BYTES; with
 *   uWS' limit at the same value the 4004 frame was dropped and the client saw a bare 1006 once it
 *   read again. uWS' limit is therefore one largest message plus a close frame above ours, so the
 *   4004 is queued behind what is buffered (uWS then gives the client 4 s to read it, see below).
 */
import uWS from 'uWebSockets.js';
import type { Logger } from '@sig/runtime';
import type { AdmittedClient, ClientSocket, Connection, SendStatus } from '../gateway/connection.js';
import type { Reservation } from '../gateway/registry.js';
import { STATUS_TEXT, type UpgradeDecision, type UpgradeRequest } from '../gateway/upgrade-gate.js';

/** What the transport calls; implemented by the gateway. */
export interface WsHandlers {
  decide(req: UpgradeRequest): Promise<UpgradeDecision>;
  release(reservation: Reservation): void;
  open(socket: ClientSocket, client: AdmittedClient, reservation: Reservation): Connection;
  frame(conn: Connection, data: ArrayBuffer, isBinary: boolean): void;
  closed(conn: Connection, code: number): void;
}

export interface WsServerOptions {
  readonly host: string;
  readonly port: number;
  /** The protocol's frame cap; uWS' own cap is set above it (see the module comment). */
  readonly maxMessageBytes: number;
  readonly sendBufferMaxBytes: number;
  readonly logger: Logger;
}

interface UserData {
  client?: AdmittedClient;
  reservation?: Reservation;
  conn?: Connection;
}

const SEND_STATUS: readonly SendStatus[] = ['backpressure', 'ok', 'dropped'];

/** The client WebSocket server. */
export class WsServer {
  readonly #app: uWS.TemplatedApp;
  #listen: uWS.us_listen_socket | undefined;
  #port = -1;

  constructor(
    private readonly o: WsServerOptions,
    private readonly h: WsHandlers,
  ) {
    this.#app = uWS
      .App()
      .ws<UserData>('/ws', {
        maxPayloadLength: Math.max(2 * o.maxMessageBytes, o.maxMessageBytes + 64 * 1024),
        maxBackpressure: o.sendBufferMaxBytes + closeHeadroom(o.maxMessageBytes),
        // We close slow consumers ourselves, with 4004: uWS would close without a code.
        closeOnBackpressureLimit: 0,
        // Liveness is the app-level heartbeat (sweeper); uWS timers would close without our codes.
        idleTimeout: 0,
        sendPingsAutomatically: false,
        compression: uWS.DISABLED,
        upgrade: (res, req, context) => this.#upgrade(res, req, context),
        open: (ws) => {
          const data = ws.getUserData();
          data.conn = this.h.open(socketOf(ws), data.client!, data.reservation!);
        },
        message: (ws, message, isBinary) => {
          const conn = ws.getUserData().conn;
          if (conn !== undefined) this.h.frame(conn, message, isBinary);
        },
        close: (ws, code) => {
          const conn = ws.getUserData().conn;
          if (conn === undefined) return;
          conn.markClosed();
          this.h.closed(conn, code);
        },
      })
      .any('/*', (res) => {
        res.writeStatus('426 Upgrade Required').writeHeader('content-type', 'application/json');
        res.end(
          Buffer.from(
            JSON.stringify({
              type: 'error',
              code: 'bad_request',
              message: 'connect with a WebSocket to /ws',
              retriable: false,
            }),
            'utf8',
          ),
        );
      });
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#app.listen(this.o.host, this.o.port, (socket) => {
        if (socket === false) {
          reject(new Error(`cannot listen on ${this.o.host}:${this.o.port}`));
          return;
        }
        this.#listen = socket;
        this.#port = uWS.us_socket_local_port(socket);
        resolve(this.#port);
      });
    });
  }

  get port(): number {
    return this.#port;
  }

  /** Stops accepting TCP connections; open sockets stay. Idempotent. */
  stopListening(): void {
    if (this.#listen === undefined) return;
    uWS.us_listen_socket_close(this.#listen);
    this.#listen = undefined;
  }

  /** Closes everything, including open sockets (after the drain has closed them properly). */
  close(): void {
    this.stopListening();
    this.#app.close();
  }

  #upgrade(res: uWS.HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    // Everything from `req` must be read now: it is invalid after the first await.
    const request: UpgradeRequest = {
      authorization: req.getHeader('authorization'),
      protocol: req.getHeader('sec-websocket-protocol'),
      origin: req.getHeader('origin'),
      query: req.getQuery() ?? '',
      ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    const key = req.getHeader('sec-websocket-key');
    const extensions = req.getHeader('sec-websocket-extensions');
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    this.h.decide(request).then(
      (decision) => {
        if (aborted) {
          if (decision.accept) this.h.release(decision.reservation);
          return;
        }
        if (!decision.accept) {
          res.cork(() => {
            res
              .writeStatus(`${decision.status} ${STATUS_TEXT[decision.status] ?? 'Error'}`)
              .writeHeader('content-type', 'application/json')
              .writeHeader('cache-control', 'no-store')
              .end(Buffer.from(decision.body, 'utf8'), true);
          });
          return;
        }
        const data: UserData = { client: decision.client, reservation: decision.reservation };
        res.cork(() => res.upgrade(data, key, decision.subprotocol, extensions, context));
      },
      (err: unknown) => {
        this.o.logger.error({ err }, 'upgrade handler failed');
        if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end(undefined, true));
      },
    );
  }
}

/**
 * Bytes uWS may buffer above SEND_BUFFER_MAX_BYTES: the message that crossed the bound (a client
 * payload of up to MAX_MESSAGE_BYTES, at most doubled by JSON escaping, plus its envelope) and the
 * 4004 close frame behind it. After `end()` uWS closes the socket for good if it has not drained
 * within 4 s (its close timeout with idleTimeout 0), so a stuck client never pins the memory.
 */
export function closeHeadroom(maxMessageBytes: number): number {
  return 2 * maxMessageBytes + 64 * 1024;
}

function socketOf(ws: uWS.WebSocket<UserData>): ClientSocket {
  let open = true;
  return {
    send(text) {
      if (!open) return 'closed';
      try {
        return SEND_STATUS[ws.send(Buffer.from(text, 'utf8'), false)] ?? 'ok';
      } catch {
        // uWS throws on a socket that already closed.
        open = false;
        return 'closed';
      }
    },
    bufferedAmount() {
      try {
        return open ? ws.getBufferedAmount() : 0;
      } catch {
        return 0;
      }
    },
    end(code, reason) {
      if (!open) return;
      open = false;
      try {
        ws.end(code, Buffer.from(reason, 'utf8'));
      } catch {
        // Already closed by the peer in the same tick: the close handler has run or will run.
      }
    },
  };
}
