/**
 * The demo server's configuration, parsed once from the environment. Dev tokens are OFF unless
 * DEMO_DEV_TOKENS says otherwise: anyone who can reach the endpoint gets a token for any room.
 */

/** Parsed demo server configuration. */
export interface DemoConfig {
  readonly host: string;
  readonly port: number;
  /** Edge WebSocket URL the page connects to. */
  readonly edgeUrl: string;
  /** Whether GET /dev/token issues tokens. */
  readonly devTokens: boolean;
  /** HS256 secret the edge verifies tokens with (its JWT_SECRET). */
  readonly jwtSecret: string;
  /** Lifetime of issued tokens, seconds. */
  readonly tokenTtlSeconds: number;
}

/** The edge's development secret (services/edge: JWT_SECRET's default outside production). */
export const DEV_JWT_SECRET = 'dev-secret-change-me';

/** Thrown on a bad value; names the variable. */
export class DemoConfigError extends Error {}

function bool(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return false;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new DemoConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new DemoConfigError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

/** Reads the configuration; throws {@link DemoConfigError} naming the variable on a bad value. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): DemoConfig {
  const devTokens = bool('DEMO_DEV_TOKENS', env['DEMO_DEV_TOKENS']);
  const production = env['NODE_ENV'] === 'production';
  const secret = env['JWT_SECRET'] ?? (production ? undefined : DEV_JWT_SECRET);
  if (devTokens && production)
    throw new DemoConfigError('DEMO_DEV_TOKENS=true is refused with NODE_ENV=production (it hands out tokens)');
  if (devTokens && !secret) throw new DemoConfigError('DEMO_DEV_TOKENS=true needs JWT_SECRET');
  const edgeUrl = env['DEMO_EDGE_URL'] ?? 'ws://127.0.0.1:8080/ws';
  if (!/^wss?:\/\/[^\s]+$/.test(edgeUrl))
    throw new DemoConfigError(`DEMO_EDGE_URL must be a ws:// or wss:// URL, got ${JSON.stringify(edgeUrl)}`);
  return {
    host: env['DEMO_HOST'] ?? '127.0.0.1',
    port: int('DEMO_PORT', env['DEMO_PORT'], 8090, 0, 65_535),
    edgeUrl,
    devTokens,
    jwtSecret: secret ?? '',
    tokenTtlSeconds: int('DEMO_TOKEN_TTL', env['DEMO_TOKEN_TTL'], 3600, 60, 86_400),
  };
}
