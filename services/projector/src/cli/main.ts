/**
 * `signal-replay`: the auditor's view of the log. Prints a room's history as a timeline (or
 * NDJSON/CSV), and `verify` rebuilds every room with the projector's own `evolve` and checks the
 * log's guarantees. Exit codes: 0 ok, 1 violations, 2 usage error, 3 input unreadable.
 */
import { kafkaConfigSpec, loadSchemaSet, parseConfig, ConfigError } from '@sig/runtime';
import { parseCli, USAGE, UsageError, type CliOptions } from './args.js';
import { toNdjson, roomOf, type AuditRecord } from './records.js';
import { inTimelineOrder, selects } from './select.js';
import { readFromKafka, readNdjson } from './source.js';
import { CSV_COLUMNS, csvLine, csvRow, formatRow, TimelineBuilder } from './timeline.js';
import { formatViolation, verify } from './verify.js';

export const EXIT = { ok: 0, violations: 1, usage: 2, input: 3 } as const;

/** Output streams (injectable so the CLI can be run in-process). */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: { readonly isTTY?: boolean; write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: process.stderr,
  env: process.env,
};

/** Runs the CLI; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err.write(`signal-replay: ${err.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (options.help) {
    io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  let records: AuditRecord[];
  try {
    records = await read(options, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`signal-replay: ${err.message}\n`);
      return EXIT.usage;
    }
    io.err.write(`signal-replay: cannot read the log: ${(err as Error).message}\n`);
    return EXIT.input;
  }
  return options.mode === 'verify' ? runVerify(options, records, io) : runTimeline(options, records, io);
}

async function read(options: CliOptions, io: CliIo): Promise<AuditRecord[]> {
  if (options.input !== undefined) return readNdjson(options.input);
  const config = parseConfig(kafkaConfigSpec, {
    ...io.env,
    ...(options.brokers && { KAFKA_BROKERS: options.brokers.join(',') }),
    ...(options.prefix !== undefined && { TOPIC_PREFIX: options.prefix }),
  });
  const everything = options.mode === 'verify' || options.format === 'ndjson';
  return readFromKafka({
    brokers: config.brokers,
    topicPrefix: config.topicPrefix,
    schemas: await loadSchemaSet(config),
    topics: everything
      ? ['commands', 'roomEvents', 'mediaCommands', 'deliveries', 'snapshots']
      : ['commands', 'roomEvents'],
    ...(options.rooms.length > 0 && { rooms: options.rooms }),
    ...(options.fromOffset !== undefined && options.mode === 'timeline' && { fromOffset: options.fromOffset }),
    progress: io.err,
  });
}

function runTimeline(options: CliOptions, records: readonly AuditRecord[], io: CliIo): number {
  const selected = records.filter((r) => selects(options, r));
  if (options.format === 'ndjson') {
    for (const r of selected) io.out(`${toNdjson(r)}\n`);
    return EXIT.ok;
  }
  const builder = new TimelineBuilder();
  if (options.format === 'csv') io.out(`${csvLine(CSV_COLUMNS)}\n`);
  // Commands are always fed to the builder (it names the actor of each event from them).
  for (const r of inTimelineOrder(selected)) {
    const row = builder.row(r);
    if (!row || (r.topic === 'commands' && !options.commands)) continue;
    io.out(`${options.format === 'csv' ? csvRow(row) : formatRow(row, options.fullSdp)}\n`);
  }
  return EXIT.ok;
}

function runVerify(options: CliOptions, records: readonly AuditRecord[], io: CliIo): number {
  const scoped =
    options.rooms.length === 0
      ? records
      : records.filter((r) => options.rooms.includes(roomOf(r)) || r.topic === 'undecodable');
  const result = verify(scoped);
  if (options.json) {
    io.out(
      `${JSON.stringify({ clean: result.violations.length === 0, counts: result.counts, violations: result.violations })}\n`,
    );
  } else {
    for (const v of result.violations) io.out(`${formatViolation(v)}\n`);
    const c = result.counts;
    const summary = `${c.rooms} room(s), ${c.events} events, ${c.commands} commands, ${c.mediaCommands} media commands, ${c.deliveries} deliveries, ${c.snapshots} snapshot(s)`;
    io.out(
      result.violations.length === 0
        ? `clean: ${summary}\n`
        : `${result.violations.length} violation(s) in ${summary}\n`,
    );
  }
  return result.violations.length === 0 ? EXIT.ok : EXIT.violations;
}
