import { adminConfigSpec, env, kafkaConfigSpec, logConfigSpec, parseConfig, type ConfigOf } from '@sig/runtime';

/** Every environment variable the projector reads. */
export const projectorConfigSpec = {
  ...kafkaConfigSpec,
  ...logConfigSpec,
  ...adminConfigSpec(9102),
  instanceId: env.string('PROJECTOR_ID', {
    optional: true,
    description: 'Instance id in logs and timer commands (default projector-<host>-<pid>)',
  }),
  maxParticipants: env.int('ROOM_MAX_PARTICIPANTS', {
    default: 100,
    min: 1,
    max: 10_000,
    description: 'Capacity of new rooms',
  }),
  emptyTimeoutMs: env.duration('ROOM_EMPTY_TIMEOUT', {
    default: 300_000,
    description: 'An empty room closes after this',
  }),
  departureTimeoutMs: env.duration('ROOM_DEPARTURE_TIMEOUT', {
    default: 20_000,
    description: 'Grace period after an unclean disconnect before `left` (timeout)',
  }),
  resumeWindowEvents: env.int('RESUME_WINDOW_EVENTS', {
    default: 1024,
    min: 1,
    max: 1_000_000,
    description:
      'Recent events per open room kept in memory for resume (older gaps get resume_failed window_exceeded; a closed room keeps none)',
  }),
  maxCommandsPerTransaction: env.int('PROJECTOR_MAX_TXN_COMMANDS', {
    default: 500,
    min: 1,
    max: 100_000,
    description: 'Commands decided per Kafka transaction',
  }),
  transactionGapMs: env.duration('PROJECTOR_TXN_GAP', {
    default: 3,
    description:
      "Pause between a partition's transactions: the coordinator is still completing the previous one for a few ms, and a transaction begun at once is refused (CONCURRENT_TRANSACTIONS) and retried after a metadata refresh (0 = none)",
  }),
  snapshotEveryEvents: env.int('SNAPSHOT_EVERY_EVENTS', {
    default: 5000,
    min: 0,
    max: 10_000_000,
    description: 'Snapshot changed rooms of a partition after this many events (0 = never)',
  }),
  edgeStartupGraceMs: env.duration('EDGE_LIVENESS_GRACE', {
    default: 15_000,
    description: 'After start, how long an edge with no heartbeat seen is still presumed alive',
  }),
};

export type ProjectorConfig = ConfigOf<typeof projectorConfigSpec>;

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadProjectorConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): ProjectorConfig {
  return parseConfig(projectorConfigSpec, source);
}
