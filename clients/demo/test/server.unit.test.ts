import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { DEV_JWT_SECRET, DemoConfigError, loadConfig } from '../src/server/config.js';
import { startDemoServer } from '../src/server/server.js';

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));

describe('demo config', () => {
  it('dev tokens are off unless DEMO_DEV_TOKENS enables them; the secret defaults to the edge dev secret', () => {
    expect(loadConfig({})).toMatchObject({ devTokens: false, port: 8090, edgeUrl: 'ws://127.0.0.1:8080/ws' });
    expect(loadConfig({ DEMO_DEV_TOKENS: 'true' })).toMatchObject({ devTokens: true, jwtSecret: DEV_JWT_SECRET });
  });

  it('names the variable of a bad value and refuses dev tokens in production', () => {
    expect(() => loadConfig({ DEMO_PORT: 'x' })).toThrow(/DEMO_PORT/);
    expect(() => loadConfig({ DEMO_DEV_TOKENS: 'maybe' })).toThrow(/DEMO_DEV_TOKENS/);
    expect(() => loadConfig({ DEMO_EDGE_URL: 'http://x' })).toThrow(/DEMO_EDGE_URL/);
    expect(() => loadConfig({ DEMO_DEV_TOKENS: 'true', NODE_ENV: 'production', JWT_SECRET: 's' })).toThrow(
      DemoConfigError,
    );
  });
});

describe('demo server', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const start = async (env: Record<string, string>): Promise<string> => {
    const started = await startDemoServer(loadConfig({ DEMO_PORT: '0', ...env }), PUBLIC);
    server = started.server;
    return `http://127.0.0.1:${started.port}`;
  };

  it('serves no token unless enabled', async () => {
    const base = await start({});
    const res = await fetch(`${base}/dev/token?identity=a&room=r`);
    expect(res.status).toBe(404);
    expect(await (await fetch(`${base}/config.json`)).json()).toMatchObject({ devTokens: false });
    expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${base}/../package.json`)).status).toBe(404);
  });

  it('when enabled, signs a token the edge accepts: sub, name, exp and a grant for that room only', async () => {
    const base = await start({ DEMO_DEV_TOKENS: 'true', JWT_SECRET: 'test-secret' });
    const { token } = (await (await fetch(`${base}/dev/token?identity=ann-1&name=Ann&room=r1`)).json()) as {
      token: string;
    };
    const { payload } = await jwtVerify(token, new TextEncoder().encode('test-secret'), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ sub: 'ann-1', name: 'Ann', video: { room: 'r1', roomJoin: true } });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect((await fetch(`${base}/dev/token?identity=a b&room=r1`)).status).toBe(400);
  });
});
