import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../support/ids.js';
import { waitFor } from '../support/wait.js';
import { TestClient, type Msg } from '../edge/support/client.js';
import { bearer, token } from '../edge/support/tokens.js';
import { Publisher } from './support/publisher.js';
import { sample, scrape, startStack, type Stack } from './support/stack.js';

// What an operator sees while real traffic flows through edge, projector and SFU (separate
// processes): every service's /metrics moves, and the logs are JSON lines that never contain a
// token or a secret, even at debug level.

describe('metrics and logs under real traffic', () => {
  const turnSecret = `turn-${randomBytes(24).toString('hex')}`;
  let stack: Stack;
  const clients: TestClient[] = [];
  let publisher: Publisher | undefined;
  /** Every JWT a client presented. */
  const jwts: string[] = [];
  /** TURN passwords the edge handed out in `joined`. */
  const turnCredentials: string[] = [];
  let before: { edge: string; projector: string; sfu: string };

  const connect = async (identity: string) => {
    const jwt = await token({
      sub: identity,
      secret: stack.jwtSecret,
      video: { room: '*', roomJoin: true, canPublish: true, canSubscribe: true },
    });
    jwts.push(jwt);
    const c = await TestClient.connect(stack.wsUrl, { headers: bearer(jwt) });
    clients.push(c);
    return c;
  };
  const join = async (c: TestClient, room: string) => {
    c.send({ type: 'join', id: 'join', room });
    const joined = await c.take((m) => m.type === 'joined', 'joined', 20_000);
    for (const server of (joined['iceServers'] as Msg[] | undefined) ?? []) {
      if (typeof server['credential'] === 'string') turnCredentials.push(server['credential']);
    }
    return joined;
  };
  const scrapeAll = async () => ({
    edge: await scrape(stack.edge),
    projector: await scrape(stack.projector),
    sfu: await scrape(stack.sfu),
  });

  beforeAll(async () => {
    stack = await startStack({
      env: { LOG_LEVEL: 'debug' },
      edgeEnv: {
        TURN_URLS: 'turn:127.0.0.1:3478',
        TURN_SECRET: turnSecret,
        STUN_URLS: 'stun:127.0.0.1:3478',
        RATE_CONN_BURST: '10',
        RATE_CONN_PER_SEC: '1',
      },
    });
    before = await scrapeAll();

    const room = randomId('room');
    const alice = await connect('alice');
    const bob = await connect('bob');
    await join(alice, room);
    await join(bob, room);
    alice.send({ type: 'signal', id: 'offer', to: 'bob', kind: 'offer', sdp: 'v=0\r\n' });
    await bob.take((m) => m.type === 'signal', 'the offer at bob');
    // Refused by the projector: nobody called "nobody" is in the room.
    alice.send({ type: 'signal', id: 'lost', to: 'nobody', kind: 'offer', sdp: 'v=0\r\n' });
    await alice.take((m) => m.type === 'error' && m['id'] === 'lost', 'the refusal of a signal to nobody');
    // Over the per-connection burst: refused at the edge.
    for (let i = 0; i < 15; i++) bob.send({ type: 'ping', id: `p${i}`, ts: i });
    await bob.take((m) => m.type === 'error' && m['code'] === 'rate_limited', 'a rate-limited ping');

    publisher = new Publisher('alice');
    alice.send(await publisher.publishMessage('pub'));
    const answer = await alice.take(
      (m) => m.type === 'media_signal' && m['transport'] === 'publisher' && m['kind'] === 'answer',
      'the SFU answer',
      30_000,
    );
    await publisher.accept(answer['sdp'] as string);
  });

  afterAll(async () => {
    for (const c of clients) if (c.isOpen) c.close();
    await publisher?.close();
    await stack?.dispose();
  });

  it('each service /metrics: the key series move when traffic flows', async () => {
    // Media needs ICE and DTLS first; the packet rate is sampled once a second.
    let after = await scrapeAll();
    await waitFor(
      async () => {
        after = await scrapeAll();
        return sample(after.sfu, 'signal_sfu_packets_per_second', { direction: 'in' }) > 0;
      },
      { timeoutMs: 20_000, message: 'the SFU to report incoming packets per second' },
    );
    const moved = (svc: keyof typeof after, name: string, labels: Record<string, string> = {}) =>
      sample(after[svc], name, labels) - sample(before[svc], name, labels);
    const prefix = stack.fx.prefix;

    // Edge: connections, messages by type, errors by code, rate limits, latencies, lag.
    expect(sample(after.edge, 'signal_connections')).toBeGreaterThanOrEqual(2);
    expect(moved('edge', 'signal_connections_opened_total')).toBeGreaterThanOrEqual(2);
    expect(moved('edge', 'signal_messages_in_total', { type: 'join' })).toBe(2);
    expect(moved('edge', 'signal_messages_in_total', { type: 'signal' })).toBe(2);
    expect(moved('edge', 'signal_messages_out_total', { type: 'joined' })).toBe(2);
    expect(moved('edge', 'signal_messages_out_total', { type: 'signal' })).toBe(1);
    expect(moved('edge', 'signal_errors_total', { code: 'rate_limited' })).toBeGreaterThanOrEqual(1);
    expect(moved('edge', 'signal_errors_total', { code: 'participant_not_found' })).toBe(1);
    expect(moved('edge', 'signal_rate_limit_hits_total', { scope: 'connection' })).toBeGreaterThanOrEqual(1);
    expect(moved('edge', 'signal_join_latency_seconds_count')).toBe(2);
    expect(moved('edge', 'signal_relay_latency_seconds_count', { type: 'signal' })).toBe(1);
    expect(moved('edge', 'signal_relay_latency_seconds_sum', { type: 'signal' })).toBeGreaterThan(0);
    expect(moved('edge', 'signal_kafka_produce_latency_seconds_count', { topic: `${prefix}signal.commands` })).toBe(
      // join ×2, signal ×2, publish (pings stay at the edge)
      5,
    );
    expect(after.edge).toMatch(new RegExp(`signal_kafka_consumer_lag\\{[^}]*topic="${prefix}signal.deliveries"`));
    expect(
      sample(after.edge, 'signal_kafka_consumer_lag', { topic: `${prefix}signal.deliveries` }),
    ).toBeGreaterThanOrEqual(0);

    // Projector: commands by type and outcome, transactions, rooms, rebuilds, commit latency, lag.
    expect(moved('projector', 'signal_projector_commands_total', { type: 'Join', outcome: 'accepted' })).toBe(2);
    expect(moved('projector', 'signal_projector_commands_total', { type: 'PeerSignal', outcome: 'rejected' })).toBe(1);
    expect(moved('projector', 'signal_errors_total', { code: 'participant_not_found' })).toBe(1);
    expect(moved('projector', 'signal_projector_transactions_total', { outcome: 'committed' })).toBeGreaterThan(0);
    expect(sample(after.projector, 'signal_projector_rooms')).toBeGreaterThanOrEqual(1);
    expect(sample(after.projector, 'signal_projector_rebuild_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(
      moved('projector', 'signal_kafka_produce_latency_seconds_count', { topic: `${prefix}signal.deliveries` }),
    ).toBeGreaterThan(0);
    expect(after.projector).toMatch(new RegExp(`signal_kafka_consumer_lag\\{[^}]*topic="${prefix}signal.commands"`));
    expect(
      sample(after.projector, 'signal_kafka_consumer_lag', { topic: `${prefix}signal.commands` }),
    ).toBeGreaterThanOrEqual(0);

    // SFU: peer connections, tracks, packets per second, media commands in, reports out, lag.
    expect(sample(after.sfu, 'signal_sfu_peer_connections')).toBeGreaterThanOrEqual(1);
    expect(sample(after.sfu, 'signal_sfu_tracks', { kind: 'audio', direction: 'published' })).toBe(1);
    expect(moved('sfu', 'signal_messages_in_total', { type: 'PublishOffer' })).toBe(1);
    expect(moved('sfu', 'signal_messages_out_total', { type: 'SfuSdp' })).toBeGreaterThanOrEqual(1);
    expect(moved('sfu', 'signal_kafka_produce_latency_seconds_count')).toBeGreaterThan(0);
    expect(after.sfu).toMatch(new RegExp(`signal_kafka_consumer_lag\\{[^}]*topic="${prefix}signal.media-commands"`));
    expect(
      sample(after.sfu, 'signal_kafka_consumer_lag', { topic: `${prefix}signal.media-commands` }),
    ).toBeGreaterThanOrEqual(0);

    // Every service: event-loop lag and memory (prom-client default metrics).
    for (const text of Object.values(after)) {
      expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{/m);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    }
  });

  it('logs: JSON lines with service, instance and trace ids; no token or secret anywhere', async () => {
    // Stopping flushes what is buffered: everything a service ever wrote is then captured.
    for (const c of clients) if (c.isOpen) c.close();
    await publisher?.close();
    publisher = undefined;
    await Promise.all(stack.services.map((s) => s.stop()));
    expect(turnCredentials.length).toBeGreaterThan(0);
    const secrets = { 'the JWT secret': stack.jwtSecret, 'the TURN secret': turnSecret };
    for (const svc of stack.services) {
      const output = svc.output.join('');
      const lines = output.split('\n').filter((l) => l.trim() !== '');
      expect(lines.length, `${svc.name} logged at debug level`).toBeGreaterThan(20);
      for (const [what, secret] of Object.entries(secrets)) {
        expect(output.includes(secret), `${svc.name} output contains ${what}`).toBe(false);
      }
      for (const jwt of jwts) {
        // The signature alone is what makes a token usable; look for it too.
        expect(output.includes(jwt.split('.')[2]!), `${svc.name} output contains a client JWT`).toBe(false);
      }
      for (const credential of turnCredentials) {
        expect(output.includes(credential), `${svc.name} output contains a TURN credential`).toBe(false);
      }
      const parsed = lines.map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new Error(`${svc.name} wrote a line that is not JSON: ${l.slice(0, 300)}`);
        }
      });
      for (const entry of parsed) {
        expect(entry['service'], JSON.stringify(entry)).toBe(svc.name);
        expect(typeof entry['instance'], JSON.stringify(entry)).toBe('string');
      }
      expect(
        parsed.some((e) => typeof e['trace_id'] === 'string' && /^[0-9a-f]{32}$/.test(e['trace_id'])),
        `${svc.name} logs lines with a trace_id`,
      ).toBe(true);
    }
  });
});
