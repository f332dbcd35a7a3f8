/**
 * Resource bounds of a live edge, each with the code a client sees:
 * - MAX_CONNECTIONS_PER_IP → 429 rate_limited (with retryAfterMs), MAX_CONNECTIONS → 503
 *   overloaded, and a freed slot is usable again;
 * - UPGRADE_TIMEOUT: a token verification that hangs (a JWKS endpoint that never answers) ends in
 *   504 timeout, and upgrades being verified hold their slot, so they cannot pile up past the limit;
 * - incomplete HTTP requests (half-open, slowloris) are closed by the HTTP layer, and do not keep
 *   other clients out;
 * - MAX_PENDING_PRODUCES: a burst beyond the producer buffer gets `overloaded` (retriable), never
 *   an ack; everything acked is in Kafka and nothing refused is.
 * Clients come from several loopback addresses (127.0.0.x) so per-address and per-edge limits can
 * be told apart.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { waitFor } from '../support/wait.js';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { kafkaClient, Tap, topicName } from './support/kafka-tap.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edge: EdgeProcess;
let jwks: Server;
const hanging: ServerResponse[] = [];
let rsaPrivate: CryptoKey;
const UPGRADE_TIMEOUT_MS = 800;

beforeAll(async () => {
  fx = await edgeFixture();
  // A JWKS endpoint that accepts the request and never answers: verification hangs.
  jwks = createServer((_req, res) => void hanging.push(res));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as { port: number };
  const rsa = await generateKeyPair('RS256', { extractable: true });
  rsaPrivate = rsa.privateKey;
  edge = await startEdge(
    fx.env({
      MAX_CONNECTIONS: '5',
      MAX_CONNECTIONS_PER_IP: '3',
      UPGRADE_TIMEOUT: `${UPGRADE_TIMEOUT_MS}ms`,
      JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      MAX_PENDING_PRODUCES: '1',
    }),
  );
}, 120_000);

afterAll(async () => {
  await killAll([edge]);
  for (const res of hanging) res.destroy();
  await new Promise((resolve) => jwks?.close(resolve));
  await fx?.dispose();
});

interface Upgrade {
  readonly status: number;
  readonly body: Record<string, unknown> | null;
  /** The open connection, for 101. */
  readonly socket: Socket | null;
  readonly ms: number;
}

/** A WebSocket upgrade from `localAddress`; a 101 keeps its socket open. */
function upgrade(localAddress: string, jwt: string): Promise<Upgrade> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: edge.port,
      path: '/ws',
      localAddress,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...bearer(jwt),
      },
    });
    req.setTimeout(15_000, () => req.destroy(new Error('upgrade request timed out')));
    req.on('upgrade', (res, socket) =>
      resolve({ status: res.statusCode ?? 0, body: null, socket, ms: Date.now() - started }),
    );
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(text) as Record<string, unknown>,
          socket: null,
          ms: Date.now() - started,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`)).text();
}

const rs256 = (sub: string) =>
  new SignJWT({ video: { room: '*', roomJoin: true } })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(rsaPrivate);

describe('edge resource bounds', () => {
  test('per address: 429 rate_limited with retryAfterMs; per edge: 503 overloaded; a freed slot is reusable', async () => {
    const jwt = await token({ sub: 'bounded' });
    const fromA = await Promise.all([1, 2, 3].map(() => upgrade('127.0.0.2', jwt)));
    expect(fromA.map((u) => u.status)).toEqual([101, 101, 101]);
    const fourthFromA = await upgrade('127.0.0.2', jwt);
    expect(fourthFromA.status).toBe(429);
    expect(fourthFromA.body).toMatchObject({
      type: 'error',
      code: 'rate_limited',
      retriable: true,
      retryAfterMs: 1000,
    });

    const fromB = await Promise.all([1, 2].map(() => upgrade('127.0.0.3', jwt)));
    expect(fromB.map((u) => u.status)).toEqual([101, 101]);
    const sixth = await upgrade('127.0.0.4', jwt);
    expect(sixth.status).toBe(503);
    expect(sixth.body).toMatchObject({ code: 'overloaded', retriable: true });

    fromB[0]!.socket!.destroy();
    const again = await waitFor(
      async () => {
        const u = await upgrade('127.0.0.4', jwt);
        return u.status === 101 ? u : undefined;
      },
      { timeoutMs: 10_000, message: 'a slot freed by a closed connection to be usable again' },
    );
    const text = await metrics();
    expect(text).toMatch(/signal_edge_upgrades_rejected_total\{status="429",code="rate_limited"[^}]*\} [1-9]/);
    expect(text).toMatch(/signal_edge_upgrades_rejected_total\{status="503",code="overloaded"[^}]*\} [1-9]/);
    for (const u of [...fromA, ...fromB, again]) u.socket?.destroy();
    await waitFor(async () => /^signal_connections\{[^}]*\} 0$/m.test(await metrics()), {
      timeoutMs: 10_000,
      message: 'the edge to count 0 connections after every client left',
    });
  });

  test('a hanging token verification ends in 504 timeout after UPGRADE_TIMEOUT, holding its slot meanwhile', async () => {
    const hs = await token({ sub: 'patient' });
    // Three verifications hang on the JWKS endpoint: they hold 3 of this address's 3 slots.
    const stuck = [1, 2, 3].map(async (i) => upgrade('127.0.0.5', await rs256(`slow-${i}`)));
    await waitFor(() => hanging.length >= 1, { timeoutMs: 5000, message: 'the edge to fetch the JWKS' });
    const meanwhile = await upgrade('127.0.0.5', hs);
    expect(meanwhile.status).toBe(429);
    const answers = await Promise.all(stuck);
    for (const a of answers) {
      expect(a.status).toBe(504);
      expect(a.body).toMatchObject({ code: 'timeout', retriable: true });
      expect(a.ms).toBeGreaterThanOrEqual(UPGRADE_TIMEOUT_MS - 50);
      expect(a.ms).toBeLessThan(UPGRADE_TIMEOUT_MS + 4000);
    }
    // The slots came back.
    const after = await upgrade('127.0.0.5', hs);
    expect(after.status).toBe(101);
    after.socket?.destroy();
  });

  test('incomplete HTTP requests are closed by the HTTP layer and do not keep clients out', async () => {
    const opened = Date.now();
    const halfOpen: Socket[] = [];
    const closedAt: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = connect({ port: edge.port, host: '127.0.0.1', localAddress: '127.0.0.6' });
      s.on('error', () => undefined);
      s.on('close', () => closedAt.push(Date.now() - opened));
      // Headers never finished: no blank line.
      s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`);
      halfOpen.push(s);
    }
    // A slowloris: one more header byte every 500 ms.
    const loris = connect({ port: edge.port, host: '127.0.0.1', localAddress: '127.0.0.6' });
    loris.on('error', () => undefined);
    let lorisClosedAt = 0;
    loris.on('close', () => (lorisClosedAt = Date.now() - opened));
    loris.write('GET /ws HTTP/1.1\r\nX-Slow: ');
    const drip = setInterval(() => loris.writable && loris.write('a'), 500);
    try {
      // Other clients are served meanwhile.
      const client = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'served' })) });
      client.send({ type: 'ping', id: 'p', ts: 1 });
      expect(await client.answerTo('p')).toEqual({ type: 'ack', id: 'p' });
      client.close();
      await waitFor(() => closedAt.length === halfOpen.length && lorisClosedAt > 0, {
        timeoutMs: 25_000,
        message: 'the edge to close every incomplete request',
      });
      console.info(
        `incomplete requests closed after ${Math.min(...closedAt)}–${Math.max(...closedAt)} ms; slowloris after ${lorisClosedAt} ms`,
      );
      expect(Math.max(...closedAt)).toBeLessThan(20_000);
      expect(lorisClosedAt).toBeLessThan(20_000);
    } finally {
      clearInterval(drip);
      for (const s of [...halfOpen, loris]) s.destroy();
    }
  }, 60_000);

  test('a burst beyond MAX_PENDING_PRODUCES gets overloaded (retriable), never an ack; acked means logged', async () => {
    const room = randomId('room');
    const client = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'bursty' })) });
    client.send({ type: 'join', id: 'join', room });
    // The join itself may meet the liveness heartbeat in the one-record buffer: retry it.
    await waitFor(
      async () => {
        const answer = await client.answerTo('join');
        if (answer.type === 'ack') return true;
        expect(answer).toMatchObject({ code: 'overloaded', retriable: true });
        client.send({ type: 'join', id: 'join', room });
        return false;
      },
      { timeoutMs: 10_000, message: 'the join to be acked' },
    );
    const acked: string[] = [];
    const refused: string[] = [];
    for (let round = 0; round < 20 && refused.length === 0; round++) {
      const ids = Array.from({ length: 30 }, (_, i) => `b${round}-${i}`);
      for (const id of ids) client.send({ type: 'data', id, payload: id });
      for (const id of ids) {
        const answer = await client.answerTo(id);
        if (answer.type === 'ack') acked.push(id);
        else {
          expect(answer).toMatchObject({ type: 'error', code: 'overloaded', retriable: true });
          refused.push(id);
        }
      }
    }
    expect(refused.length, 'a burst of 30 should overflow a one-record producer buffer').toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);

    const commands = await Tap.start(kafkaClient(fx.brokers), topicName('commands', fx.prefix), 'signal.Command');
    try {
      const requestIds = (): Set<string> =>
        new Set(
          commands.records.flatMap((r) =>
            r.value.source.type === 'ClientSource' && r.value.source.requestId !== null
              ? [r.value.source.requestId]
              : [],
          ),
        );
      await waitFor(() => acked.every((id) => requestIds().has(id)), {
        timeoutMs: 20_000,
        message: `every acked message (${acked.length}) to be in signal.commands`,
      });
      expect(refused.filter((id) => requestIds().has(id))).toEqual([]);
    } finally {
      await commands.stop();
    }
    console.info(`burst: ${acked.length} acked, ${refused.length} refused with overloaded`);
    client.close();
  });
});
