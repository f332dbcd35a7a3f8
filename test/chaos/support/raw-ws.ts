/**
 * A minimal WebSocket client over a raw TCP socket (RFC 6455, text frames only), for the one thing
 * the built-in WebSocket cannot do: stop reading. `pause()` stops draining the socket, so the
 * kernel buffers fill and the edge sees a slow consumer exactly as it would see a stuck phone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** How the connection ended: the close frame's code, or 1006 when the TCP connection just dropped. */
export interface RawClose {
  readonly code: number;
  readonly reason: string;
  readonly at: number;
}

export class RawWs {
  /** Called with each complete text message. */
  onText: (text: string) => void = () => undefined;
  readonly closed: Promise<RawClose>;
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #close: RawClose | undefined;
  #resolveClosed!: (close: RawClose) => void;

  private constructor(socket: Socket, rest: Buffer) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.#finish({ code: 1006, reason: '', at: Date.now() }));
    if (rest.length > 0) queueMicrotask(() => this.#onData(rest));
  }

  /** Opens `ws://host:port/path` with `headers`; rejects unless the server answers 101. */
  static open(url: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<RawWs> {
    const { hostname, port, pathname, search } = new URL(url);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.setNoDelay(true);
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`upgrade to ${url} timed out`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', fail);
        clearTimeout(timer);
        const text = head.subarray(0, end).toString('latin1');
        if (!/^HTTP\/1\.1 101/.test(text) || !text.toLowerCase().includes(accept.toLowerCase())) {
          socket.destroy();
          reject(new Error(`upgrade to ${url} refused: ${text.split('\r\n')[0]}`));
          return;
        }
        resolve(new RawWs(socket, head.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', fail);
      socket.once('connect', () => {
        const lines = [
          `GET ${pathname}${search} HTTP/1.1`,
          `Host: ${hostname}:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${key}`,
          'Sec-WebSocket-Version: 13',
          ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        ];
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      });
    });
  }

  get isOpen(): boolean {
    return this.#close === undefined && !this.#socket.destroyed;
  }

  /** Sends one text message (masked, as RFC 6455 requires of clients). */
  send(text: string): void {
    if (this.isOpen) this.#socket.write(frame(0x1, Buffer.from(text, 'utf8')));
  }

  /** Stops reading the socket (the kernel buffers fill, then the server's). */
  pause(): void {
    this.#socket.pause();
  }

  /** Reads again. */
  resume(): void {
    this.#socket.resume();
  }

  /** Sends a close frame with `code` and ends the socket. */
  close(code = 1000): void {
    if (!this.isOpen) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.#socket.end(frame(0x8, payload));
  }

  /** Drops the TCP connection without a close frame. */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const parsed = parseFrame(this.#buffer);
      if (parsed === undefined) return;
      this.#buffer = this.#buffer.subarray(parsed.size);
      this.#onFrame(parsed.fin, parsed.opcode, parsed.payload);
    }
  }

  #onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0x8) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#finish({ code, reason: payload.subarray(2).toString('utf8'), at: Date.now() });
      this.#socket.end(frame(0x8, payload.subarray(0, 2)));
      return;
    }
    if (opcode === 0x9) return void this.#socket.write(frame(0xa, payload));
    if (opcode === 0xa) return;
    this.#fragments.push(payload);
    if (!fin) return;
    const message = Buffer.concat(this.#fragments).toString('utf8');
    this.#fragments = [];
    if (this.#close === undefined) this.onText(message);
  }

  #finish(close: RawClose): void {
    if (this.#close !== undefined) return;
    this.#close = close;
    this.#resolveClosed(close);
  }
}

function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const header = Buffer.alloc(len < 126 ? 2 : len < 65_536 ? 4 : 10);
  header[0] = 0x80 | opcode;
  if (len < 126) header[1] = 0x80 | len;
  else if (len < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

function parseFrame(buf: Buffer): { fin: boolean; opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  let len = b1 & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const maskKey = masked ? buf.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (buf.length < offset + len) return undefined;
  let payload = buf.subarray(offset, offset + len);
  if (maskKey !== undefined) payload = Buffer.from(payload.map((b, i) => b ^ maskKey[i & 3]!));
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, size: offset + len };
}
