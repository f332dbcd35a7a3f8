/**
 * A tiny typed environment parser. A service declares its configuration once as a spec (nested
 * objects of `env.*` variables), parses it at the composition root into a typed object, and
 * generates its README table from the same spec. Parsing collects every problem and throws one
 * `ConfigError` naming each bad variable and the form it expects, so a misconfigured deployment is
 * fixed in one round, not one variable per restart.
 */
import { redactUrl } from './redact.js';

/** One environment variable: its name, how to parse it and how to document it. */
export interface EnvVar<T> {
  /** Brand that tells variables apart from nested specs. */
  readonly kind: 'env-var';
  readonly name: string;
  /** Short type name for tables: `string`, `int`, `duration`… */
  readonly type: string;
  /** The accepted form, shown in errors and tables. */
  readonly expected: string;
  readonly description: string | undefined;
  /** Secrets are never echoed in errors or tables. */
  readonly secret: boolean;
  /** Whether an unset variable is an error. */
  readonly required: boolean;
  /** Value used when unset (only meaningful when `hasDefault`). */
  readonly defaultValue: T | undefined;
  readonly hasDefault: boolean;
  /** Parses a non-empty, trimmed raw value; throws `Error` with the problem on bad input. */
  parse(raw: string): T;
  /** Human form of a value, for tables. */
  format(value: T): string;
}

/** A configuration spec: variables, or nested specs (parsed into nested objects). */
export interface ConfigSpec {
  readonly [key: string]: EnvVar<unknown> | ConfigSpec;
}

/** The parsed, typed configuration of a spec. */
export type ConfigOf<S> = {
  readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : S[K] extends ConfigSpec ? ConfigOf<S[K]> : never;
};

/** Options every variable accepts. `default` and `optional` are exclusive: a default is never unset. */
export interface VarOptions<T> {
  readonly description?: string;
  readonly secret?: boolean;
  readonly default?: T;
  /** Unset is allowed and parses to `undefined` (when there is no sensible default). */
  readonly optional?: boolean;
}

type Result<T, O> = O extends { readonly optional: true } ? T | undefined : T;

/** One problem found while parsing. */
export interface ConfigProblem {
  readonly name: string;
  readonly problem: string;
  readonly expected: string;
}

/** Thrown by `parseConfig`; `problems` lists every bad variable, the message names each one. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.name}: ${p.problem} (expected: ${p.expected})`);
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
  }
}

function define<T>(
  name: string,
  type: string,
  expected: string,
  parse: (raw: string) => T,
  options: VarOptions<T>,
  format: (value: T) => string = String,
): EnvVar<T> {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new TypeError(`env var name "${name}" must be UPPER_SNAKE_CASE`);
  const hasDefault = options.default !== undefined;
  if (hasDefault && options.optional === true) throw new TypeError(`${name}: "default" and "optional" are exclusive`);
  return {
    kind: 'env-var',
    name,
    type,
    expected,
    description: options.description,
    secret: options.secret ?? false,
    required: !hasDefault && options.optional !== true,
    defaultValue: options.default,
    hasDefault,
    parse,
    format,
  };
}

/** Options of `env.string`. */
export interface StringOptions extends VarOptions<string> {
  /** The value must match (anchor it yourself). */
  readonly pattern?: RegExp;
  /** Shown as the expected form when `pattern` is set. */
  readonly patternDescription?: string;
}

function string<const O extends StringOptions>(name: string, options?: O): EnvVar<Result<string, O>> {
  const { pattern, patternDescription } = options ?? {};
  const expected = pattern === undefined ? 'a string' : (patternDescription ?? `a string matching ${String(pattern)}`);
  return define<string>(
    name,
    'string',
    expected,
    (raw) => {
      if (pattern !== undefined && !pattern.test(raw)) throw new Error('does not match the expected form');
      return raw;
    },
    options ?? {},
  );
}

/** Options of `env.int`. */
export interface IntOptions extends VarOptions<number> {
  readonly min?: number;
  readonly max?: number;
}

function int<const O extends IntOptions>(name: string, options?: O): EnvVar<Result<number, O>> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options ?? {};
  const expected = rangeText('an integer', min, max, String, Number.MIN_SAFE_INTEGER);
  return define<number>(
    name,
    'int',
    expected,
    (raw) => {
      if (!/^[+-]?\d+$/.test(raw)) throw new Error('is not an integer');
      const value = Number(raw);
      if (!Number.isSafeInteger(value)) throw new Error('is out of the safe integer range');
      if (value < min || value > max) throw new Error('is out of range');
      return value;
    },
    options ?? {},
  );
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function bool<const O extends VarOptions<boolean>>(name: string, options?: O): EnvVar<Result<boolean, O>> {
  return define<boolean>(
    name,
    'bool',
    'true/false (also 1/0, yes/no, on/off)',
    (raw) => {
      const lower = raw.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw new Error('is not a boolean');
    },
    options ?? {},
  );
}

/** Options of `env.url`. */
export interface UrlOptions extends VarOptions<string> {
  /** Allowed schemes with the colon, e.g. `['redis:', 'rediss:']`. */
  readonly protocols?: readonly string[];
}

function url<const O extends UrlOptions>(name: string, options?: O): EnvVar<Result<string, O>> {
  const protocols = options?.protocols;
  const expected = protocols === undefined ? 'an absolute URL' : `a ${protocols.map((p) => `${p}//`).join(' or ')} URL`;
  return define<string>(
    name,
    'url',
    expected,
    (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        throw new Error('is not a URL');
      }
      if (protocols !== undefined && !protocols.includes(parsed.protocol)) {
        throw new Error(`has scheme ${parsed.protocol}`);
      }
      // The raw string is kept: clients like ioredis parse it themselves, and normalizing could
      // change what the operator wrote (a trailing slash, percent-encoding of a password).
      return raw;
    },
    options ?? {},
    redactUrl,
  );
}

/** Options of `env.list`. */
export interface ListOptions extends VarOptions<readonly string[]> {
  /** Default `,`. */
  readonly separator?: string;
  /** Checks one item; returns the problem, or undefined if the item is fine. */
  readonly item?: (item: string) => string | undefined;
  /** Describes an item in the expected form, e.g. `host:port`. */
  readonly itemDescription?: string;
}

function list<const O extends ListOptions>(name: string, options?: O): EnvVar<Result<readonly string[], O>> {
  const { separator = ',', item, itemDescription = 'item' } = options ?? {};
  return define<readonly string[]>(
    name,
    'list',
    `a "${separator}"-separated list of ${itemDescription}`,
    (raw) => {
      const items = raw
        .split(separator)
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (items.length === 0) throw new Error('has no items');
      for (const value of items) {
        const problem = item?.(value);
        if (problem !== undefined) throw new Error(`item "${value}" ${problem}`);
      }
      return items;
    },
    options ?? {},
    (value) => value.join(separator),
  );
}

function enumVar<const V extends readonly [string, ...string[]], const O extends VarOptions<V[number]>>(
  name: string,
  values: V,
  options?: O,
): EnvVar<Result<V[number], O>> {
  return define<V[number]>(
    name,
    'enum',
    `one of ${values.join(', ')}`,
    (raw) => {
      // Case-insensitive: LOG_LEVEL=INFO is what people type.
      const match = values.find((v) => v.toLowerCase() === raw.toLowerCase());
      if (match === undefined) throw new Error('is not an allowed value');
      return match;
    },
    options ?? {},
  );
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `5s`, `1.5m`, `2h` (or `0`) into milliseconds; throws on anything else. */
export function parseDuration(raw: string): number {
  if (raw.trim() === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i.exec(raw.trim());
  const unit = match?.[2] === undefined ? undefined : DURATION_UNITS[match[2].toLowerCase()];
  if (match?.[1] === undefined || unit === undefined) {
    // Bare numbers are rejected on purpose: "30" could mean 30 ms or 30 s.
    throw new Error('is not a duration with a unit');
  }
  return Math.round(Number(match[1]) * unit);
}

/** Shortest exact human form of a duration: `2m`, `1500ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Options of `env.duration` (bounds and default in milliseconds). */
export interface DurationOptions extends VarOptions<number> {
  readonly min?: number;
  readonly max?: number;
}

function duration<const O extends DurationOptions>(name: string, options?: O): EnvVar<Result<number, O>> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options ?? {};
  const expected = rangeText('a duration like 500ms, 5s, 2m, 1h', min, max, formatDuration, 0);
  return define<number>(
    name,
    'duration',
    expected,
    (raw) => {
      const ms = parseDuration(raw);
      if (ms < min || ms > max) throw new Error('is out of range');
      return ms;
    },
    options ?? {},
    formatDuration,
  );
}

function rangeText(
  base: string,
  min: number,
  max: number,
  format: (n: number) => string,
  unboundedMin: number,
): string {
  const hasMin = min !== unboundedMin;
  const hasMax = max !== Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return `${base} in [${format(min)}, ${format(max)}]`;
  if (hasMin) return `${base} >= ${format(min)}`;
  if (hasMax) return `${base} <= ${format(max)}`;
  return base;
}

/** Builders of environment variables. */
export const env = { string, int, bool, url, list, enum: enumVar, duration };

function isEnvVar(value: EnvVar<unknown> | ConfigSpec): value is EnvVar<unknown> {
  return (value as Partial<EnvVar<unknown>>).kind === 'env-var';
}

function* walk(spec: ConfigSpec, path: readonly string[] = []): Generator<[readonly string[], EnvVar<unknown>]> {
  for (const [key, value] of Object.entries(spec)) {
    if (isEnvVar(value)) yield [[...path, key], value];
    else yield* walk(value, [...path, key]);
  }
}

/**
 * Parses `processEnv` against `spec` into a typed object. Unset and empty (`FOO=`) are the same:
 * the default applies. Throws one `ConfigError` listing every problem.
 */
export function parseConfig<S extends ConfigSpec>(
  spec: S,
  processEnv: Readonly<Record<string, string | undefined>> = process.env,
): ConfigOf<S> {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, EnvVar<unknown>>();
  const result: Record<string, unknown> = {};
  for (const [path, variable] of walk(spec)) {
    const previous = seen.get(variable.name);
    if (previous !== undefined && previous !== variable) {
      problems.push({ name: variable.name, problem: 'is declared twice in the spec', expected: variable.expected });
      continue;
    }
    seen.set(variable.name, variable);
    const raw = processEnv[variable.name]?.trim();
    let value: unknown;
    if (raw === undefined || raw === '') {
      if (variable.required) {
        problems.push({ name: variable.name, problem: 'is required but not set', expected: variable.expected });
        continue;
      }
      value = variable.defaultValue;
    } else {
      try {
        value = variable.parse(raw);
      } catch (error) {
        const shown = variable.secret ? '' : `=${JSON.stringify(truncate(displayRaw(variable, raw), 80))}`;
        const problem = error instanceof Error ? error.message : String(error);
        problems.push({ name: `${variable.name}${shown}`, problem, expected: variable.expected });
        continue;
      }
    }
    setPath(result, path, value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as ConfigOf<S>;
}

// URL-typed values may embed passwords; show them masked even when they fail to parse.
function displayRaw(variable: EnvVar<unknown>, raw: string): string {
  return variable.type === 'url' ? redactUrl(raw) : raw;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

/** One row of a configuration table. */
export interface ConfigRow {
  readonly name: string;
  /** Where the value lands in the parsed object, e.g. `kafka.brokers`. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  /** Formatted default; undefined when there is none. */
  readonly default: string | undefined;
  readonly description: string;
  readonly expected: string;
  readonly secret: boolean;
}

/** Rows describing every variable of `spec`, for READMEs and `--help`. */
export function describeConfig(spec: ConfigSpec): ConfigRow[] {
  const rows = new Map<string, ConfigRow>();
  for (const [path, v] of walk(spec)) {
    if (rows.has(v.name)) continue;
    rows.set(v.name, {
      name: v.name,
      path: path.join('.'),
      type: v.type,
      required: v.required,
      default: !v.hasDefault ? undefined : v.secret ? '(secret)' : v.format(v.defaultValue),
      description: v.description ?? '',
      expected: v.expected,
      secret: v.secret,
    });
  }
  return [...rows.values()];
}

/** A Markdown table of `describeConfig(spec)`. */
export function configTableMarkdown(spec: ConfigSpec): string {
  const escape = (s: string): string => s.replaceAll('|', '\\|');
  const lines = ['| Variable | Default | Description |', '| --- | --- | --- |'];
  for (const row of describeConfig(spec)) {
    const fallback =
      row.default === undefined
        ? row.required
          ? '*required*'
          : '*unset*'
        : `\`${row.default === '' ? '""' : row.default}\``;
    lines.push(`| \`${row.name}\` | ${fallback} | ${escape(row.description)} (${escape(row.expected)}) |`);
  }
  return lines.join('\n');
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Item check for `host:port` lists. */
export function hostPortItem(value: string): string | undefined {
  const match = HOST_PORT.exec(value);
  const port = match?.[2] === undefined ? NaN : Number(match[2]);
  return port >= 1 && port <= 65535 ? undefined : 'is not host:port';
}

/** Kafka connection settings, shared by every service. */
export const kafkaConfigSpec = {
  brokers: env.list('KAFKA_BROKERS', {
    default: ['127.0.0.1:19092'],
    item: hostPortItem,
    itemDescription: 'host:port',
    description: 'Kafka bootstrap brokers',
  }),
  clientId: env.string('KAFKA_CLIENT_ID', {
    optional: true,
    description: 'Kafka client id (defaults to the service name)',
  }),
  topicPrefix: env.string('TOPIC_PREFIX', {
    default: '',
    pattern: /^[A-Za-z0-9._-]*$/,
    patternDescription: 'letters, digits, ".", "_" or "-"',
    description: 'Prefix of every topic name (tests use a random one to isolate runs)',
  }),
  schemaRegistryUrl: env.url('SCHEMA_REGISTRY_URL', {
    optional: true,
    protocols: ['http:', 'https:'],
    description: 'Schema registry; when set, topics are written in the Confluent wire format',
  }),
  /** TLS and SASL to the brokers; resolved into kafkajs options by `kafkaSecurity` (security.ts). */
  security: {
    tls: env.bool('KAFKA_SSL', {
      default: false,
      description: 'TLS to the brokers, verified against the system CAs or KAFKA_SSL_CA_FILE',
    }),
    caFile: env.string('KAFKA_SSL_CA_FILE', {
      optional: true,
      description: 'PEM bundle of the CAs the broker certificates must chain to (needs KAFKA_SSL=true)',
    }),
    certFile: env.string('KAFKA_SSL_CERT_FILE', {
      optional: true,
      description: 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE)',
    }),
    keyFile: env.string('KAFKA_SSL_KEY_FILE', {
      optional: true,
      description: 'PEM private key of KAFKA_SSL_CERT_FILE',
    }),
    saslMechanism: env.enum('KAFKA_SASL_MECHANISM', ['plain', 'scram-sha-256', 'scram-sha-512'], {
      optional: true,
      description: 'SASL authentication to the brokers (with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)',
    }),
    saslUsername: env.string('KAFKA_SASL_USERNAME', { optional: true, description: 'SASL user name' }),
    saslPassword: env.string('KAFKA_SASL_PASSWORD', { optional: true, secret: true, description: 'SASL password' }),
  },
};

/** Redis connection settings. */
export const redisConfigSpec = {
  url: env.url('REDIS_URL', {
    default: 'redis://127.0.0.1:16379',
    protocols: ['redis:', 'rediss:'],
    description: 'Redis URL (credentials in the URL are masked in logs; rediss:// = TLS)',
  }),
  /** TLS details for a rediss:// URL; resolved into ioredis options by `redisTls` (security.ts). */
  tls: {
    caFile: env.string('REDIS_TLS_CA_FILE', {
      optional: true,
      description: 'PEM bundle of the CAs the Redis certificate must chain to (rediss:// only; default: system CAs)',
    }),
    certFile: env.string('REDIS_TLS_CERT_FILE', {
      optional: true,
      description: 'PEM client certificate for mutual TLS (with REDIS_TLS_KEY_FILE)',
    }),
    keyFile: env.string('REDIS_TLS_KEY_FILE', {
      optional: true,
      description: 'PEM private key of REDIS_TLS_CERT_FILE',
    }),
  },
};

/** Log levels, most to least severe (pino's names). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Logging settings. */
export const logConfigSpec = {
  level: env.enum('LOG_LEVEL', LOG_LEVELS, { default: 'info', description: 'Minimum log level' }),
  pretty: env.bool('LOG_PRETTY', { default: false, description: 'Human-readable logs instead of JSON lines' }),
};

/** Admin HTTP server settings (`/healthz`, `/readyz`, `/metrics`); each service has its own default port. */
export function adminConfigSpec(defaultPort: number) {
  return {
    host: env.string('ADMIN_HOST', { default: '0.0.0.0', description: 'Admin server bind address' }),
    port: env.int('ADMIN_PORT', {
      default: defaultPort,
      min: 0,
      max: 65_535,
      description: 'Admin server port (0 = any free port)',
    }),
  };
}
