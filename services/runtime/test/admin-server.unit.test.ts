import { afterEach, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer, type Readiness } from '../src/admin-server.js';
import { IllegalStateError } from '../src/lifecycle.js';
import { createMetricsRegistry, metric } from '../src/metrics.js';

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(readiness?: () => Readiness | Promise<Readiness>, readinessTimeoutMs?: number): Promise<string> {
  const registry = createMetricsRegistry({ service: 'test' });
  metric(registry, 'messagesIn').inc({ type: 'offer' }, 3);
  const server = createAdminServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    ...(readiness === undefined ? {} : { readiness }),
    ...(readinessTimeoutMs === undefined ? {} : { readinessTimeoutMs }),
  });
  servers.push(server);
  const { host, port } = await server.listen();
  return `http://${host}:${port}`;
}

describe('admin server', () => {
  it('answers /healthz with 200', async () => {
    const base = await start();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz from the readiness function: 200 when ready, 503 with reasons otherwise', async () => {
    let readiness: Readiness = { ready: false, reasons: ['kafka producer not connected', 'draining'] };
    const base = await start(async () => readiness);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual(readiness);
    readiness = { ready: true, reasons: [] };
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
  });

  it('answers 503 when the readiness function throws or hangs', async () => {
    const throwing = await start(() => {
      throw new Error('redis ping failed');
    });
    const res = await fetch(`${throwing}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as Readiness).reasons[0]).toContain('redis ping failed');

    const hanging = await start(() => new Promise<Readiness>(() => {}), 50);
    const slow = await fetch(`${hanging}/readyz`);
    expect(slow.status).toBe(503);
    expect(((await slow.json()) as Readiness).reasons[0]).toContain('timed out');
  });

  it('serves Prometheus text on /metrics with catalogue and default metrics', async () => {
    const base = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('signal_messages_in_total{type="offer",service="test"} 3');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const base = await start();
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/healthz?probe=1`, { method: 'HEAD' })).status).toBe(200);
  });

  it('close() is idempotent, frees the port, and a closed server cannot listen again', async () => {
    const registry = createMetricsRegistry({ service: 'test', defaultMetrics: false });
    const server = createAdminServer({ host: '127.0.0.1', port: 0, registry });
    const { port } = await server.listen();
    // A keep-alive connection must not hold close() open.
    await fetch(`http://127.0.0.1:${port}/healthz`);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(server.lifecycle.state).toBe('stopped');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    await expect(server.listen()).rejects.toThrow(IllegalStateError);
    expect(() => server.address).toThrow(IllegalStateError);
  });

  it('fails cleanly when the port is taken', async () => {
    const base = await start();
    const port = Number(new URL(base).port);
    const registry = createMetricsRegistry({ service: 'test', defaultMetrics: false });
    const second = createAdminServer({ host: '127.0.0.1', port, registry });
    servers.push(second);
    await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
    expect(second.lifecycle.state).toBe('failed');
    await second.close();
  });
});
