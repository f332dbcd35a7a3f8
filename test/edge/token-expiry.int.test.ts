/**
 * Tokens expiring on a live connection: `notice token_expiring` TOKEN_EXPIRY_NOTICE before the
 * expiry, close 4001 at the expiry (logged as TOKEN_EXPIRED), unless `refresh_token` brought a
 * valid token for the same identity. Also: the per-address connection limit answers 429 at the upgrade.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { rawUpgrade, TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { kafkaClient, Tap, topicName } from './support/kafka-tap.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edge: EdgeProcess;
let commands: Tap<'signal.Command'>;

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(
    fx.env({
      TOKEN_EXPIRY_NOTICE: '1500ms',
      HEARTBEAT_INTERVAL: '200ms',
      HEARTBEAT_TIMEOUT: '10s',
      MAX_CONNECTIONS_PER_IP: '3',
    }),
  );
  commands = await Tap.start(kafkaClient(fx.brokers), topicName('commands', fx.prefix), 'signal.Command');
});

afterAll(async () => {
  await killAll([edge]);
  await commands?.stop();
  await fx?.dispose();
});

describe('token expiry', () => {
  test('notice before expiry; close 4001 at expiry without a refresh; a refreshed connection stays', async () => {
    const room = randomId('room');
    const expiring = await TestClient.connect(edge.url(), {
      headers: bearer(await token({ sub: 'short', expiresIn: 3 })),
    });
    const refreshing = await TestClient.connect(edge.url(), {
      headers: bearer(await token({ sub: 'renewer', expiresIn: 3 })),
    });
    expiring.send({ type: 'join', id: 'j', room });
    await expiring.answerTo('j');

    const notice = await expiring.take((m) => m.type === 'notice', 'the token_expiring notice', 5000);
    expect(notice).toMatchObject({ kind: 'token_expiring' });
    const expiresAt = notice['expiresAt'] as number;
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(1500);

    await refreshing.take(
      (m) => m.type === 'notice' && m['kind'] === 'token_expiring',
      'the notice on the refreshing client',
      5000,
    );
    refreshing.send({ type: 'refresh_token', id: 'r', token: await token({ sub: 'renewer', expiresIn: 3600 }) });
    expect(await refreshing.answerTo('r')).toEqual({ type: 'ack', id: 'r' });

    const close = await expiring.closeWithin(5000, 'the token expiry close');
    expect(close.code).toBe(4001);
    expect(close.at).toBeGreaterThanOrEqual(expiresAt);
    expect(close.at - expiresAt).toBeLessThan(1000);
    const logged = await commands.find(
      (c) => c.body.type === 'ConnectionClosed' && c.room === room,
      'the TOKEN_EXPIRED ConnectionClosed',
    );
    expect(logged.value.body).toEqual({ type: 'ConnectionClosed', reason: 'TOKEN_EXPIRED', clean: false });

    // The refreshed connection outlived its first token and is still served.
    refreshing.send({ type: 'ping', id: 'p', ts: 1 });
    expect(await refreshing.answerTo('p')).toEqual({ type: 'ack', id: 'p' });
    expect(refreshing.isOpen).toBe(true);
    refreshing.close();
    await refreshing.closed;
  });

  test('over MAX_CONNECTIONS_PER_IP the upgrade is refused with 429 rate_limited', async () => {
    const jwt = await token({ sub: 'many' });
    const open = await Promise.all([1, 2, 3].map(() => TestClient.connect(edge.url(), { headers: bearer(jwt) })));
    const refused = await rawUpgrade(edge.port, '/ws', bearer(jwt));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'rate_limited', retriable: true });
    open[0]!.close();
    await open[0]!.closed;
    // A slot freed by a close can be used again (the server may see the close a moment later).
    let again = await rawUpgrade(edge.port, '/ws', bearer(jwt));
    for (let i = 0; again.status !== 101 && i < 20; i++) again = await rawUpgrade(edge.port, '/ws', bearer(jwt));
    expect(again.status).toBe(101);
    for (const c of open.slice(1)) c.close();
  });
});
