/**
 * A media participant's signaling: one WebSocket to a real edge, authenticated the way a browser
 * does it (subprotocol `access_token, <jwt>`). Requests carry an id and resolve on the edge's
 * `ack` — which means the command is durably in Kafka — or reject with the edge's error code.
 */
import { randomUUID } from 'node:crypto';
import type { ClientMessage, ServerMessage } from '@sig/schemas';

/** The edge refused a request (`error` answer). */
export class EdgeRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A client message without its request id (the link assigns one). */
export type Request = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, 'id'> : never) : never;

/** One participant's WebSocket to an edge. */
export class EdgeLink {
  /** Every server message, in arrival order. */
  readonly received: ServerMessage[] = [];
  readonly #pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  #handler: (m: ServerMessage) => void = () => undefined;

  private constructor(
    readonly identity: string,
    readonly url: string,
    private readonly ws: WebSocket,
  ) {
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as ServerMessage;
      this.received.push(message);
      if (message.type === 'ping') {
        this.#raw({ type: 'pong', ts: message.ts });
        return;
      }
      if ((message.type === 'ack' || message.type === 'error') && message.id !== undefined) {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.type === 'ack') waiter?.resolve();
        else waiter?.reject(new EdgeRequestError(message.code, message.message));
        if (message.type === 'ack') return;
      }
      this.#handler(message);
    });
    ws.addEventListener('close', () => {
      for (const [id, waiter] of this.#pending) waiter.reject(new Error(`socket closed before the answer to ${id}`));
      this.#pending.clear();
    });
  }

  /** Connects `identity` to the edge WebSocket `url` with the access token `jwt`. */
  static async connect(url: string, identity: string, jwt: string): Promise<EdgeLink> {
    const ws = new WebSocket(url, ['access_token', jwt]);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`${identity}: WebSocket to ${url} did not open`)), {
        once: true,
      });
    });
    return new EdgeLink(identity, url, ws);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Where every server message other than acks and pings goes. */
  onMessage(handler: (m: ServerMessage) => void): void {
    this.#handler = handler;
  }

  /** Sends a request; resolves once the edge acked it (logged to Kafka), rejects on its error. */
  request(message: Request, timeoutMs = 15_000): Promise<void> {
    const id = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.identity}: no answer to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.#raw({ ...message, id });
    });
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  #raw(message: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}
