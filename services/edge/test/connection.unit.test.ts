import { describe, expect, test } from 'vitest';
import { Connection, type ClientSocket, type SendStatus } from '../src/gateway/connection.js';
import { ConnectionRegistry } from '../src/gateway/registry.js';

/** A socket whose buffer grows with every send until `drain()`; records what the edge did. */
class FakeSocket implements ClientSocket {
  sent: string[] = [];
  ended: { code: number; reason: string }[] = [];
  buffered = 0;
  status: SendStatus = 'ok';
  send(text: string): SendStatus {
    this.sent.push(text);
    this.buffered += text.length;
    return this.status;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  end(code: number, reason: string): void {
    this.ended.push({ code, reason });
  }
}

const claims = {
  identity: 'alice',
  name: 'Alice',
  metadata: '',
  expiresAt: 10_000,
  video: {
    room: '*',
    roomJoin: true,
    roomAdmin: false,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    hidden: false,
  },
};

function connection(socket: FakeSocket, maxBuffer = 100): Connection {
  return new Connection(
    'c-1',
    { ip: '127.0.0.1', claims, upgradeRoom: null },
    socket,
    maxBuffer,
    { sent: () => undefined, errored: () => undefined },
    0,
    {
      tokens: 10,
      updatedAt: 0,
    },
  );
}

describe('connection send buffer (backpressure)', () => {
  test('a client whose buffer exceeds SEND_BUFFER_MAX_BYTES is closed with 4004, never queued further', () => {
    const socket = new FakeSocket();
    const conn = connection(socket, 100);
    expect(conn.send({ type: 'ping', ts: 1 })).toBe(true);
    expect(conn.send({ type: 'data', seq: 1, from: 'bob', fromSessionId: 's', payload: 'x'.repeat(200) })).toBe(false);
    expect(socket.ended).toEqual([{ code: 4004, reason: 'slow consumer' }]);
    expect(conn.closeCause).toBe('slow_consumer');
    // Nothing more is written to a closed connection.
    expect(conn.send({ type: 'ping', ts: 2 })).toBe(false);
    expect(socket.sent).toHaveLength(2);
  });

  test('a message the transport dropped (over its own cap) also closes with 4004', () => {
    const socket = new FakeSocket();
    socket.status = 'dropped';
    const conn = connection(socket, 1_000_000);
    expect(conn.send({ type: 'ping', ts: 1 })).toBe(false);
    expect(socket.ended[0]?.code).toBe(4004);
  });

  test('close is idempotent: the first cause is the one reported', () => {
    const socket = new FakeSocket();
    const conn = connection(socket);
    conn.close('heartbeat_timeout');
    conn.close('draining');
    expect(socket.ended).toEqual([{ code: 4006, reason: 'heartbeat timeout' }]);
    expect(conn.closeCause).toBe('heartbeat_timeout');
    expect(conn.isOpen).toBe(false);
  });

  test('errors carry the catalogue retriable flag and echo the request id', () => {
    const socket = new FakeSocket();
    connection(socket, 10_000).sendError('r1', 'kafka_unavailable', 'down');
    expect(JSON.parse(socket.sent[0]!)).toEqual({
      type: 'error',
      id: 'r1',
      code: 'kafka_unavailable',
      message: 'down',
      retriable: true,
    });
  });

  test('frames are processed strictly in order even when a step awaits', async () => {
    const conn = connection(new FakeSocket());
    const order: number[] = [];
    conn.enqueue(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push(1);
    });
    conn.enqueue(() => void order.push(2));
    expect(conn.queued).toBe(2);
    await new Promise<void>((resolve) => conn.enqueue(() => resolve()));
    expect(order).toEqual([1, 2]);
  });
});

describe('connection registry (admission)', () => {
  test('reservations count against both limits until released or converted', () => {
    const registry = new ConnectionRegistry(2, 1);
    const a = registry.reserve('10.0.0.1');
    expect(a).not.toBeNull();
    expect(registry.reserve('10.0.0.1')).toBeNull(); // per-IP limit
    const b = registry.reserve('10.0.0.2');
    expect(registry.reserve('10.0.0.3')).toBeNull(); // total limit
    registry.release(b!);
    registry.release(b!); // idempotent
    expect(registry.reserve('10.0.0.3')).not.toBeNull();
  });

  test('a converted reservation keeps the IP slot until the connection is removed', () => {
    const registry = new ConnectionRegistry(10, 1);
    const r = registry.reserve('127.0.0.1')!;
    const conn = connection(new FakeSocket());
    registry.add(conn, r);
    expect(registry.size).toBe(1);
    expect(registry.reserve('127.0.0.1')).toBeNull();
    registry.remove(conn);
    expect(registry.size).toBe(0);
    expect(registry.reserve('127.0.0.1')).not.toBeNull();
  });
});
