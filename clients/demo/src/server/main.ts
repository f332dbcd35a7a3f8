/**
 * Composition root of the demo server: config from the environment, the static files built by
 * scripts/bundle.mjs, a JSON `demo ready` line with the URL, and a clean exit on SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DemoConfigError, loadConfig } from './config.js';
import { startDemoServer } from './server.js';

// JSON lines like the services; LOG_PRETTY=true (what `npm start` sets) gives readable lines.
const log = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void =>
  console.log(
    process.env['LOG_PRETTY'] === 'true'
      ? `${level.toUpperCase()}: ${msg}${Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`
      : JSON.stringify({ level, time: Date.now(), name: 'demo', msg, ...fields }),
  );

try {
  const config = loadConfig(process.env);
  const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
  if (!existsSync(`${publicDir}app.js`))
    throw new DemoConfigError(`${publicDir}app.js is missing: run npm run build (it bundles the page)`);
  if (config.devTokens)
    log('warn', 'DEV TOKENS ENABLED: GET /dev/token signs a token for any identity and room. Never in production.');
  const { server, port } = await startDemoServer(config, publicDir);
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  log('info', 'demo ready', {
    port,
    url: `http://${host}:${port}/`,
    edgeUrl: config.edgeUrl,
    devTokens: config.devTokens,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
} catch (error) {
  log('error', error instanceof Error ? error.message : String(error));
  process.exit(1);
}
