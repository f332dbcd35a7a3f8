import { TOPICS, topicName, type TopicId } from '../topics.js';
import type { SchemaSet } from './schema-set.js';

/** Why a registry call failed; callers branch on `code` and `retriable`, never on messages. */
export type SchemaRegistryErrorCode =
  'unavailable' | 'not_found' | 'incompatible' | 'invalid_schema' | 'unauthorized' | 'bad_response';

/** A failed call to a Confluent-compatible schema registry. */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
  constructor(
    readonly code: SchemaRegistryErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  /** Network failures, timeouts and 5xx/429 may succeed later; anything else will not. */
  get retriable(): boolean {
    return this.code === 'unavailable';
  }
}

/** Options of SchemaRegistryClient. */
export interface SchemaRegistryOptions {
  /** Attempts per call, first included (bounded retries of retriable failures). */
  readonly attempts?: number;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Delay before retry n (1-based); null gives up early. */
  readonly retryDelayMs?: (attempt: number) => number | null;
  /** Injected fetch (defaults to the global one). */
  readonly fetch?: typeof fetch;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * Minimal client of the Confluent Schema Registry REST API (also served by Karapace, Apicurio's
 * ccompat API, Redpanda): register a schema under a subject, fetch a schema by id. Both answers
 * are immutable in the registry, so they are cached for the life of the client.
 */
export class SchemaRegistryClient {
  private readonly registered = new Map<string, Promise<number>>();
  private readonly schemas = new Map<number, Promise<string>>();
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: (attempt: number) => number | null;
  private readonly fetchFn: typeof fetch;

  constructor(
    readonly baseUrl: string,
    options: SchemaRegistryOptions = {},
  ) {
    this.attempts = options.attempts ?? 4;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.retryDelayMs = options.retryDelayMs ?? ((n) => 200 * 2 ** (n - 1));
    this.fetchFn = options.fetch ?? fetch;
  }

  /** Registers (or finds) `schema` under `subject`; resolves to its global schema id. */
  register(subject: string, schema: unknown): Promise<number> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const key = `${subject}\n${text}`;
    let id = this.registered.get(key);
    if (!id) {
      id = this.call(`/subjects/${encodeURIComponent(subject)}/versions`, {
        method: 'POST',
        body: JSON.stringify({ schema: text }),
      }).then((body) => {
        const value = (body as { id?: unknown }).id;
        if (typeof value !== 'number') throw new SchemaRegistryError('bad_response', `no id registering ${subject}`);
        return value;
      });
      id.catch(() => this.registered.delete(key));
      this.registered.set(key, id);
    }
    return id;
  }

  /** The schema text the registry holds under a global id. */
  schemaById(id: number): Promise<string> {
    let text = this.schemas.get(id);
    if (!text) {
      text = this.call(`/schemas/ids/${id}`, { method: 'GET' }).then((body) => {
        const value = (body as { schema?: unknown }).schema;
        if (typeof value !== 'string') throw new SchemaRegistryError('bad_response', `no schema for id ${id}`);
        return value;
      });
      text.catch(() => this.schemas.delete(id));
      this.schemas.set(id, text);
    }
    return text;
  }

  private async call(path: string, init: { method: string; body?: string }): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(path, init);
      } catch (err) {
        const e = err instanceof SchemaRegistryError ? err : new SchemaRegistryError('bad_response', String(err));
        const delay = e.retriable && attempt < this.attempts ? this.retryDelayMs(attempt) : null;
        if (delay === null) throw e;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async once(path: string, init: { method: string; body?: string }): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        ...init,
        headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SchemaRegistryError('unavailable', `${init.method} ${url.pathname}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new SchemaRegistryError('bad_response', `${init.method} ${url.pathname}: not JSON`, res.status);
      }
    }
    throw new SchemaRegistryError(
      codeOf(res.status, text),
      `${init.method} ${url.pathname}: ${res.status} ${text}`,
      res.status,
    );
  }
}

function codeOf(status: number, body: string): SchemaRegistryErrorCode {
  if (status === 429 || status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409) return 'incompatible';
  // 422 carries error_code 42201 (invalid schema) among others.
  if (status === 422) return body.includes('42201') ? 'invalid_schema' : 'incompatible';
  return 'bad_response';
}

/** Subject of a topic's record values under Confluent's TopicNameStrategy. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/**
 * Registers every published version (oldest first) of each catalogue topic's value schema under
 * `<prefix><topic>-value`, and returns the set writing the Confluent wire format with those ids.
 */
export async function registerCatalogue(set: SchemaSet, client: SchemaRegistryClient, prefix = ''): Promise<SchemaSet> {
  const ids = new Map<bigint, number>();
  for (const id of Object.keys(TOPICS) as TopicId[]) {
    const subject = valueSubject(topicName(id, prefix));
    for (const version of set.versions(TOPICS[id].valueSchema)) {
      ids.set(version.fingerprint, await client.register(subject, version.schema));
    }
  }
  return set.withConfluentIds(ids);
}
