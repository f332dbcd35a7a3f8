/**
 * A raw WebSocket client over a TCP socket, for what the WebSocket API cannot send: invalid UTF-8
 * in text frames, reserved bits and opcodes, unmasked frames, lying length fields, fragments that
 * never end, bogus close codes. It does the handshake itself and parses the server's frames, so a
 * test sees exactly what the edge answered: text messages, a close code, or a bare TCP close.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** One frame as the fuzzer builds it; everything a well-behaved client would never vary is here. */
export interface RawFrame {
  readonly opcode: number;
  readonly payload: Buffer;
  readonly fin?: boolean;
  /** RSV1-3 bits (0-7). */
  readonly rsv?: number;
  /** Clients must mask; false sends an unmasked frame. */
  readonly mask?: boolean;
  /** Announce this payload length instead of the real one. */
  readonly lengthOverride?: number;
}

/** How the connection ended, as the client observed it. */
export type RawEnd = { readonly kind: 'close'; readonly code: number } | { readonly kind: 'drop' };
/** What `until` saw instead of an end: the awaited text, or nothing in time. */
export type RawWait = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'timeout' };

export class RawWs {
  readonly texts: string[] = [];
  readonly ended: Promise<RawEnd>;
  #buffer = Buffer.alloc(0);
  #end: RawEnd | undefined;
  #waiters: (() => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    head: Buffer,
  ) {
    let settle!: (end: RawEnd) => void;
    this.ended = new Promise((resolve) => (settle = resolve));
    const finish = (end: RawEnd): void => {
      if (this.#end !== undefined) return;
      this.#end = end;
      settle(end);
      this.#wake();
    };
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      const close = this.#parse();
      if (close !== undefined) {
        finish({ kind: 'close', code: close });
        socket.destroy();
      }
    });
    socket.on('close', () => finish({ kind: 'drop' }));
    socket.on('error', () => finish({ kind: 'drop' }));
    if (head.length > 0) socket.emit('data', head);
  }

  /** Opens a connection with `headers` on the upgrade; rejects with the HTTP status line when refused. */
  static open(port: number, path: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('raw upgrade timed out'));
      }, timeoutMs);
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ];
      let received = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        const status = received.subarray(0, received.indexOf('\r\n')).toString();
        if (!status.includes(' 101 ')) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        resolve(new RawWs(socket, received.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.write(lines.join('\r\n'));
    });
  }

  get isOpen(): boolean {
    return this.#end === undefined;
  }

  /** Writes one frame (bytes exactly as described). */
  send(frame: RawFrame): void {
    if (!this.isOpen) return;
    this.socket.write(encodeFrame(frame));
  }

  /** Sends a well-formed masked text frame. */
  sendText(text: string): void {
    this.send({ opcode: 1, payload: Buffer.from(text, 'utf8') });
  }

  /** Waits until a text message matches, the connection ends, or `timeoutMs` passes. */
  async until(match: (text: string) => boolean, timeoutMs: number): Promise<RawEnd | RawWait> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.texts.find(match);
      if (found !== undefined) return { kind: 'text', text: found };
      if (this.#end !== undefined) return this.#end;
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
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

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Consumes complete server frames; returns the close code when a close frame arrived. */
  #parse(): number | undefined {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return undefined;
      const opcode = b[0]! & 0x0f;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return undefined;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return undefined;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return undefined;
      const payload = b.subarray(offset, offset + length);
      this.#buffer = b.subarray(offset + length);
      if (opcode === 1) {
        this.texts.push(payload.toString('utf8'));
        this.#wake();
      } else if (opcode === 8) {
        return payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      }
    }
  }
}

/** Encodes a client frame, honouring every deliberate violation in `frame`. */
export function encodeFrame(frame: RawFrame): Buffer {
  const mask = frame.mask ?? true;
  const length = frame.lengthOverride ?? frame.payload.length;
  const head: number[] = [((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | (frame.opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, frame.payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(frame.payload);
  for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! ^ key[i % 4]!;
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}
