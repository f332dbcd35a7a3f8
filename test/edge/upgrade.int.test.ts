/**
 * Authentication happens in the HTTP upgrade, before a socket exists: refusals are HTTP statuses
 * with a JSON error body (read here with a raw upgrade request, since the WebSocket API hides
 * both), and accepted tokens arrive by header, subprotocol or query.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rawUpgrade, TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edge: EdgeProcess;

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(fx.env({ ALLOWED_ORIGINS: 'https://app.example' }));
});

afterAll(async () => {
  await killAll([edge]);
  await fx?.dispose();
});

function body(answer: { body: string }): Record<string, unknown> {
  return JSON.parse(answer.body) as Record<string, unknown>;
}

describe('edge upgrade', () => {
  test('bad signature → 401 unauthorized, no upgrade', async () => {
    const jwt = await token({ sub: 'alice', secret: 'not-the-edge-secret-but-long-enough-0000' });
    const answer = await rawUpgrade(edge.port, '/ws', bearer(jwt));
    expect(answer.status).toBe(401);
    expect(body(answer)).toMatchObject({ type: 'error', code: 'unauthorized', retriable: false });
  });

  test('expired token → 401 token_expired', async () => {
    const answer = await rawUpgrade(edge.port, '/ws', bearer(await token({ sub: 'alice', expiresIn: -60 })));
    expect(answer.status).toBe(401);
    expect(body(answer)).toMatchObject({ code: 'token_expired' });
  });

  test('token not valid yet → 401 unauthorized; no token at all → 401 unauthorized', async () => {
    expect(await rawUpgrade(edge.port, '/ws', bearer(await token({ sub: 'alice', notBefore: 600 })))).toMatchObject({
      status: 401,
    });
    const none = await rawUpgrade(edge.port, '/ws');
    expect(none.status).toBe(401);
    expect(body(none)).toMatchObject({ code: 'unauthorized' });
  });

  test('a room the token does not grant → 403 forbidden', async () => {
    const answer = await rawUpgrade(edge.port, '/ws?room=other', bearer(await token({ sub: 'alice', room: 'mine' })));
    expect(answer.status).toBe(403);
    expect(body(answer)).toMatchObject({ code: 'forbidden' });
    expect(
      (await rawUpgrade(edge.port, '/ws?room=mine', bearer(await token({ sub: 'alice', room: 'mine' })))).status,
    ).toBe(101);
  });

  test('an Origin outside ALLOWED_ORIGINS → 403 origin_not_allowed; an allowed one upgrades', async () => {
    const jwt = await token({ sub: 'alice' });
    const bad = await rawUpgrade(edge.port, '/ws', { ...bearer(jwt), origin: 'https://evil.example' });
    expect(bad.status).toBe(403);
    expect(body(bad)).toMatchObject({ code: 'origin_not_allowed' });
    expect((await rawUpgrade(edge.port, '/ws', { ...bearer(jwt), origin: 'https://app.example' })).status).toBe(101);
  });

  test('a token in the access_token subprotocol upgrades and the subprotocol is echoed; ?token= works too', async () => {
    const jwt = await token({ sub: 'alice' });
    const viaProtocol = await TestClient.connect(edge.url(), { protocols: ['access_token', jwt] });
    expect(viaProtocol.protocol).toBe('access_token');
    viaProtocol.send({ type: 'ping', id: 'p', ts: 1 });
    expect(await viaProtocol.take((m) => m.type === 'pong', 'pong')).toEqual({ type: 'pong', ts: 1 });
    viaProtocol.close();
    const viaQuery = await TestClient.connect(edge.url(`token=${jwt}`));
    viaQuery.send({ type: 'ping', id: 'q', ts: 2 });
    expect(await viaQuery.answerTo('q')).toEqual({ type: 'ack', id: 'q' });
    viaQuery.close();
  });

  test('refusals are counted in /metrics, and /readyz says ready', async () => {
    const ready = await fetch(`http://127.0.0.1:${edge.adminPort}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`)).text();
    expect(metrics).toMatch(
      /signal_edge_upgrades_rejected_total\{status="401",code="unauthorized",service="edge"\} [1-9]/,
    );
    expect(metrics).toContain('signal_connections{service="edge"}');
  });
});
