/**
 * The demo's HTTP server: the static page and its bundle, `/config.json` (where the edge is), and
 * the dev-only `GET /dev/token?identity=&name=&room=` that signs an HS256 token with the edge's
 * secret (LiveKit-style claims: sub, name, video grants). It imports no service.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { SignJWT } from 'jose';
import type { DemoConfig } from './config.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
};
const NAME = /^[A-Za-z0-9._~-]{1,128}$/;

/** Signs a token granting `room` to `identity`. */
export function devToken(config: DemoConfig, identity: string, name: string, room: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    name,
    video: { room, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true },
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity)
    .setIssuedAt(now)
    .setExpirationTime(now + config.tokenTtlSeconds)
    .sign(new TextEncoder().encode(config.jwtSecret));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function handle(config: DemoConfig, publicDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo');
  if (req.method !== 'GET') return json(res, 405, { error: 'GET only' });
  if (url.pathname === '/config.json') return json(res, 200, { edgeUrl: config.edgeUrl, devTokens: config.devTokens });
  if (url.pathname === '/dev/token') {
    if (!config.devTokens)
      return json(res, 404, { error: 'dev tokens are disabled (DEMO_DEV_TOKENS=true enables them)' });
    const identity = url.searchParams.get('identity') ?? '';
    const room = url.searchParams.get('room') ?? '';
    const name = (url.searchParams.get('name') ?? identity).slice(0, 256);
    if (!NAME.test(identity) || !NAME.test(room))
      return json(res, 400, { error: 'identity and room: 1-128 of A-Z a-z 0-9 . _ ~ -' });
    return json(res, 200, { token: await devToken(config, identity, name, room) });
  }
  const path = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = normalize(join(publicDir, path));
  if (!file.startsWith(publicDir) || !(extname(file) in TYPES)) return json(res, 404, { error: 'not found' });
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    json(res, 404, { error: 'not found' });
  }
}

/** Starts the server; resolves with it and the port it bound. */
export async function startDemoServer(
  config: DemoConfig,
  publicDir: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(config, publicDir, req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : config.port };
}
