import { parseArgs } from 'node:util';

/** What the user asked for, validated. */
export interface CliOptions {
  readonly mode: 'timeline' | 'verify';
  /** Selected rooms; empty = every room. */
  readonly rooms: readonly string[];
  /** Identity or session id whose records are shown (timeline only). */
  readonly participant?: string;
  readonly fromTime?: number;
  readonly toTime?: number;
  /** Room-event offsets (per partition), inclusive. */
  readonly fromOffset?: number;
  readonly toOffset?: number;
  /** NDJSON log to read instead of Kafka ('-' = stdin). */
  readonly input?: string;
  readonly format: 'text' | 'ndjson' | 'csv';
  readonly fullSdp: boolean;
  /** Show accepted commands in the timeline too. */
  readonly commands: boolean;
  readonly brokers?: readonly string[];
  readonly prefix?: string;
  readonly json: boolean;
  readonly help: boolean;
}

/** A command line that cannot be run (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `signal-replay — replay and verify rooms from the Kafka log

Usage:
  signal-replay [timeline] (--room <id>… | --participant <identity|session> | --all) [options]
  signal-replay verify [--room <id>…] [--input <file>] [--json]

Selection:
  --room <id>            a room (repeatable)
  --participant <who>    records naming this identity or session id (all rooms unless --room)
  --all                  every room
  --from, --to <time>    ISO-8601 time or epoch ms (inclusive); timeline only
  --from-offset, --to-offset <n>
                         room-event offsets (per partition, inclusive); timeline only
Input:
  --input <file>         an NDJSON log (from --format ndjson, or bare room events; - = stdin)
  --brokers <h:p,…>      default KAFKA_BROKERS (127.0.0.1:19092); TOPIC_PREFIX and
  --prefix <prefix>      SCHEMA_REGISTRY_URL are read from the environment as in the services
Output:
  --format text|ndjson|csv
                         text: the human timeline (default); ndjson: every audited record of the
                         selection (commands, room events, media commands, deliveries, snapshots),
                         readable back with --input; csv: the timeline's columns
  --full-sdp             print full SDP text under each offer/answer (text format)
  --commands             show accepted commands in the timeline too
  --json                 verify: the report as JSON
Exit codes: 0 ok (verify: clean), 1 verify found violations, 2 usage error, 3 input unreadable.`;

function parseTime(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(t)) throw new UsageError(`${name}: "${raw}" is neither an ISO-8601 time nor epoch milliseconds`);
  return t;
}

function parseOffset(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${name}: "${raw}" is not an offset`);
  return Number(raw);
}

/** Parses argv (without node and the script). Throws UsageError with a message naming the option. */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        room: { type: 'string', multiple: true },
        participant: { type: 'string' },
        all: { type: 'boolean', default: false },
        from: { type: 'string' },
        to: { type: 'string' },
        'from-offset': { type: 'string' },
        'to-offset': { type: 'string' },
        input: { type: 'string' },
        format: { type: 'string', default: 'text' },
        'full-sdp': { type: 'boolean', default: false },
        commands: { type: 'boolean', default: false },
        brokers: { type: 'string' },
        prefix: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [mode = 'timeline', ...extra] = positionals;
  if (mode !== 'timeline' && mode !== 'verify') throw new UsageError(`unknown command "${mode}"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (v.format !== 'text' && v.format !== 'ndjson' && v.format !== 'csv') {
    throw new UsageError(`--format: "${v.format}" is not one of text, ndjson, csv`);
  }
  const rooms = v.room ?? [];
  if (!v.help && mode === 'timeline' && rooms.length === 0 && v.participant === undefined && !v.all) {
    throw new UsageError('select --room <id>, --participant <who> or --all');
  }
  if (mode === 'verify' && (v.from ?? v.to ?? v['from-offset'] ?? v['to-offset'] ?? v.participant) !== undefined) {
    throw new UsageError('verify checks whole room histories: --from/--to/--*-offset/--participant do not apply');
  }
  return {
    mode,
    rooms,
    ...(v.participant !== undefined && { participant: v.participant }),
    ...optional('fromTime', parseTime('--from', v.from)),
    ...optional('toTime', parseTime('--to', v.to)),
    ...optional('fromOffset', parseOffset('--from-offset', v['from-offset'])),
    ...optional('toOffset', parseOffset('--to-offset', v['to-offset'])),
    ...(v.input !== undefined && { input: v.input }),
    format: v.format,
    fullSdp: v['full-sdp'],
    commands: v.commands,
    ...(v.brokers !== undefined && { brokers: v.brokers.split(',').map((b) => b.trim()) }),
    ...(v.prefix !== undefined && { prefix: v.prefix }),
    json: v.json,
    help: v.help,
  };
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
