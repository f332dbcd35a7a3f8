/**
 * The edge's configuration: one spec (also the source of the README table), parsed once at the
 * composition root. Cross-variable rules are checked here too, so a bad deployment fails at start
 * with every problem named, never at the first client.
 */
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  env,
  kafkaConfigSpec,
  logConfigSpec,
  parseConfig,
  redisConfigSpec,
  type ConfigOf,
  type ConfigProblem,
} from '@sig/runtime';

const MiB = 1024 * 1024;
const DEV_JWT_SECRET = 'dev-secret-change-me';

/** Every variable the edge reads. */
export const edgeConfigSpec = {
  nodeEnv: env.string('NODE_ENV', {
    default: 'development',
    description: 'production disables the development JWT secret',
  }),
  host: env.string('EDGE_HOST', { default: '127.0.0.1', description: 'Client WebSocket bind address' }),
  port: env.int('EDGE_PORT', {
    default: 8080,
    min: 0,
    max: 65_535,
    description: 'Client WebSocket port (0 = any free port, logged at start)',
  }),
  adminHost: env.string('EDGE_ADMIN_HOST', {
    default: '0.0.0.0',
    description: 'Admin server bind address (/healthz, /readyz, /metrics): probes and scrapes come from outside',
  }),
  adminPort: env.int('EDGE_ADMIN_PORT', {
    default: 9101,
    min: 0,
    max: 65_535,
    description: 'Admin server port (0 = any free port)',
  }),
  edgeId: env.string('EDGE_ID', {
    optional: true,
    pattern: /^[A-Za-z0-9._-]{1,64}$/,
    patternDescription: '1-64 letters, digits, ".", "_" or "-"',
    description: 'Edge id in commands and routing (default edge-<random>)',
  }),
  replySlot: env.int('EDGE_REPLY_SLOT', {
    optional: true,
    min: 0,
    description:
      'Partition of signal.deliveries this edge consumes (default: stable hash of EDGE_ID mod the partition count)',
  }),
  kafka: kafkaConfigSpec,
  redis: redisConfigSpec,
  log: logConfigSpec,
  jwt: {
    secret: env.string('JWT_SECRET', {
      optional: true,
      secret: true,
      description: `HS256 shared secret (default "${DEV_JWT_SECRET}" unless NODE_ENV=production)`,
    }),
    previousSecret: env.string('JWT_SECRET_PREVIOUS', {
      optional: true,
      secret: true,
      description: 'Former HS256 secret, still accepted while tokens signed with it live (key rotation)',
    }),
    jwksFile: env.string('JWT_JWKS_FILE', {
      optional: true,
      description: 'JWKS file with RS256/ES256 public keys (re-read when it changes)',
    }),
    jwksUrl: env.url('JWT_JWKS_URL', {
      optional: true,
      protocols: ['https:', 'http:'],
      description: 'JWKS URL with RS256/ES256 public keys (cached, refreshed)',
    }),
    issuer: env.string('JWT_ISSUER', { optional: true, description: 'Required "iss" when set' }),
    audience: env.string('JWT_AUDIENCE', { optional: true, description: 'Required "aud" when set' }),
  },
  allowedOrigins: env.list('ALLOWED_ORIGINS', {
    default: [],
    itemDescription: 'origin',
    description: 'Allowed Origin values (empty = any)',
  }),
  maxMessageBytes: env.int('MAX_MESSAGE_BYTES', {
    default: 65_536,
    min: 1024,
    max: 16 * MiB,
    description: 'Largest client frame; larger closes with 1009',
  }),
  heartbeatInterval: env.duration('HEARTBEAT_INTERVAL', {
    default: 5000,
    min: 50,
    description: 'Server ping interval',
  }),
  heartbeatTimeout: env.duration('HEARTBEAT_TIMEOUT', {
    default: 15_000,
    min: 100,
    description: 'No inbound frame this long closes with 4006',
  }),
  tokenExpiryNotice: env.duration('TOKEN_EXPIRY_NOTICE', {
    default: 60_000,
    description: 'token_expiring notice this long before the token expires',
  }),
  rate: {
    connPerSec: env.int('RATE_CONN_PER_SEC', {
      default: 50,
      min: 1,
      description: 'Per-connection sustained messages per second',
    }),
    connBurst: env.int('RATE_CONN_BURST', { default: 100, min: 1, description: 'Per-connection burst' }),
    identityPerSec: env.int('RATE_IDENTITY_PER_SEC', {
      default: 200,
      min: 1,
      description: 'Per-identity messages per second, shared by all edges (Redis)',
    }),
    identityBurst: env.int('RATE_IDENTITY_BURST', { default: 400, min: 1, description: 'Per-identity burst (Redis)' }),
    abuseStrikes: env.int('RATE_ABUSE_STRIKES', {
      default: 20,
      min: 1,
      description: 'Rate-limited messages tolerated before closing with 4008',
    }),
  },
  invalidFrameLimit: env.int('INVALID_FRAME_LIMIT', {
    default: 10,
    min: 0,
    description: 'Invalid frames tolerated before closing with 1008',
  }),
  sendBufferMaxBytes: env.int('SEND_BUFFER_MAX_BYTES', {
    default: MiB,
    min: 16 * 1024,
    description: 'Per-socket send buffer; over it closes with 4004',
  }),
  maxConnections: env.int('MAX_CONNECTIONS', {
    default: 19_000,
    min: 1,
    description: 'Connections per edge, counting upgrades being verified; over it upgrades get 503 overloaded',
  }),
  maxConnectionsPerIp: env.int('MAX_CONNECTIONS_PER_IP', {
    default: 1000,
    min: 1,
    description:
      'Connections per client address (the TCP peer: behind a proxy, the proxy), counting upgrades being verified; over it upgrades get 429 rate_limited',
  }),
  upgradeTimeout: env.duration('UPGRADE_TIMEOUT', {
    default: 10_000,
    min: 100,
    description:
      'Longest token verification at the upgrade (a JWKS fetch); past it 504 timeout. Incomplete HTTP requests are closed by uWS after 10 s',
  }),
  drainTimeout: env.duration('DRAIN_TIMEOUT', {
    default: 30_000,
    min: 100,
    description: 'SIGTERM to exit, guaranteed',
  }),
  maxPendingProduces: env.int('MAX_PENDING_PRODUCES', {
    default: 10_000,
    min: 1,
    description:
      'Commands queued or in flight to Kafka; over it a message gets overloaded (retriable) and is not logged, never acked',
  }),
  ice: {
    stunUrls: env.list('STUN_URLS', {
      default: [],
      itemDescription: 'stun: URL',
      description: 'STUN servers sent in joined',
    }),
    turnUrls: env.list('TURN_URLS', {
      default: [],
      itemDescription: 'turn: URL',
      description: 'TURN servers sent in joined (needs TURN_SECRET)',
    }),
    turnSecret: env.string('TURN_SECRET', {
      optional: true,
      secret: true,
      description: 'TURN REST shared secret (coturn static-auth-secret)',
    }),
    turnTtl: env.duration('TURN_TTL', {
      default: 3_600_000,
      min: 10_000,
      description:
        'Lifetime of TURN credentials; fresh ones are sent (notice ice_servers) a quarter of it before expiry',
    }),
  },
  resumeWindowEvents: env.int('RESUME_WINDOW_EVENTS', {
    default: 1024,
    min: 0,
    description: 'Resume window echoed in joined (the projector enforces it)',
  }),
  resumeWindow: env.duration('RESUME_WINDOW', {
    default: 20_000,
    description: 'How long a lost session can resume, echoed in joined',
  }),
  livenessInterval: env.duration('EDGE_LIVENESS_INTERVAL', {
    default: 2000,
    min: 100,
    description: 'EdgeHeartbeat period on signal.edge-liveness',
  }),
};

type Parsed = ConfigOf<typeof edgeConfigSpec>;

/** The validated configuration, with derived values resolved. */
export interface EdgeConfig extends Omit<Parsed, 'edgeId' | 'jwt'> {
  readonly edgeId: string;
  readonly jwt: Parsed['jwt'] & { readonly devSecret: boolean };
}

/** Parses and cross-checks the environment; throws `ConfigError` naming every bad variable. */
export function loadEdgeConfig(processEnv: Readonly<Record<string, string | undefined>> = process.env): EdgeConfig {
  const parsed = parseConfig(edgeConfigSpec, processEnv);
  const problems: ConfigProblem[] = [];
  const production = parsed.nodeEnv === 'production';
  let secret = parsed.jwt.secret;
  let devSecret = false;
  if (secret === undefined && !production) {
    secret = DEV_JWT_SECRET;
    devSecret = true;
  }
  if (secret === undefined && parsed.jwt.jwksFile === undefined && parsed.jwt.jwksUrl === undefined) {
    problems.push({
      name: 'JWT_SECRET',
      problem: 'no token key is configured in production',
      expected: 'JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL',
    });
  }
  if (secret !== undefined && !devSecret && Buffer.byteLength(secret) < 32) {
    problems.push({
      name: 'JWT_SECRET',
      problem: 'is shorter than 32 bytes',
      expected: 'an HS256 secret of at least 32 bytes',
    });
  }
  if (parsed.jwt.previousSecret !== undefined) {
    if (parsed.jwt.secret === undefined)
      problems.push({
        name: 'JWT_SECRET_PREVIOUS',
        problem: 'is set without JWT_SECRET',
        expected: 'the current secret in JWT_SECRET, the former one in JWT_SECRET_PREVIOUS',
      });
    else if (Buffer.byteLength(parsed.jwt.previousSecret) < 32)
      problems.push({
        name: 'JWT_SECRET_PREVIOUS',
        problem: 'is shorter than 32 bytes',
        expected: 'an HS256 secret of at least 32 bytes',
      });
  }
  if (parsed.heartbeatTimeout <= parsed.heartbeatInterval) {
    problems.push({
      name: 'HEARTBEAT_TIMEOUT',
      problem: 'must be longer than HEARTBEAT_INTERVAL',
      expected: `a duration > ${parsed.heartbeatInterval}ms`,
    });
  }
  if (parsed.ice.turnUrls.length > 0 && parsed.ice.turnSecret === undefined) {
    problems.push({
      name: 'TURN_SECRET',
      problem: 'is required when TURN_URLS is set',
      expected: 'the TURN server static-auth-secret',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...parsed,
    edgeId: parsed.edgeId ?? `edge-${randomBytes(4).toString('hex')}`,
    jwt: { ...parsed.jwt, ...(secret === undefined ? {} : { secret }), devSecret },
  };
}
