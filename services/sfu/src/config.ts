/**
 * The SFU worker's configuration: one spec (also the source of the README table), parsed once at
 * the composition root. Cross-variable rules are checked here, so a bad deployment fails at start
 * naming every problem.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import {
  ConfigError,
  adminConfigSpec,
  env,
  kafkaConfigSpec,
  logConfigSpec,
  parseConfig,
  type ConfigOf,
  type ConfigProblem,
} from '@sig/runtime';

const ICE_URL = /^(stun|stuns|turn|turns):[^\s]+$/;

/** Every variable the SFU worker reads. */
export const sfuConfigSpec = {
  kafka: kafkaConfigSpec,
  log: logConfigSpec,
  admin: adminConfigSpec(9103),
  workerName: env.string('SFU_WORKER_ID', {
    optional: true,
    pattern: /^[A-Za-z0-9_-]{1,48}$/,
    patternDescription: '1-48 letters, digits, "_" or "-"',
    description:
      'Worker name (default sfu-<host>); the id reported in SfuSource/SfuRoomStatus is <name>.<incarnation>, new at every start, so a restarted worker is never taken for the one that held the media',
  }),
  maxRooms: env.int('SFU_MAX_ROOMS', {
    default: 100,
    min: 1,
    description: 'Rooms this worker serves at once; a new room beyond it is refused with sfu_capacity',
  }),
  maxPeerConnections: env.int('SFU_MAX_PEER_CONNECTIONS', {
    default: 1000,
    min: 2,
    description:
      'PeerConnections (two per participant) at once; beyond it a new room is refused and a new participant gets sfu_capacity',
  }),
  groupSessionTimeout: env.duration('SFU_GROUP_SESSION_TIMEOUT', {
    default: 10_000,
    min: 6000,
    max: 300_000,
    description: "Consumer-group session timeout: a dead worker's rooms move after this (the broker's minimum is 6 s)",
  }),
  partitionsConcurrently: env.int('SFU_PARTITION_CONCURRENCY', {
    default: 4,
    min: 1,
    max: 256,
    description: 'Media-command partitions handled in parallel (commands of one room are always handled in order)',
  }),
  offerTimeout: env.duration('SFU_OFFER_TIMEOUT', {
    default: 15_000,
    min: 100,
    description: 'A subscriber offer not answered within this is rolled back and offered again',
  }),
  drainTimeout: env.duration('SFU_DRAIN_TIMEOUT', {
    default: 10_000,
    min: 100,
    description: 'SIGTERM to exit, guaranteed: rooms are released and the process exits within it',
  }),
  recoveryTimeout: env.duration('SFU_RECOVERY_TIMEOUT', {
    default: 20_000,
    min: 100,
    description:
      "Longest read of a newly assigned partition's media-command history (finding rooms a dead worker served)",
  }),
  keyframeInterval: env.duration('SFU_KEYFRAME_MIN_INTERVAL', {
    default: 500,
    min: 0,
    description: 'Keyframe requests (PLI) relayed to one publisher track at most this often',
  }),
  ice: {
    portRange: env.string('SFU_ICE_UDP_PORT_RANGE', {
      optional: true,
      pattern: /^\d{1,5}-\d{1,5}$/,
      patternDescription: 'min-max, e.g. 40000-40999',
      description: 'UDP ports for ICE (default: any ephemeral port)',
    }),
    announcedAddress: env.string('SFU_ANNOUNCED_ADDRESS', {
      optional: true,
      description:
        'Public IPv4/IPv6 address written into host candidates instead of the local one (1:1 NAT, e.g. a cloud VM)',
    }),
    interfaceAddress: env.string('SFU_ICE_INTERFACE_ADDRESS', {
      optional: true,
      description: 'Bind ICE to this local IPv4 address only and advertise only it (e.g. 127.0.0.1 in tests)',
    }),
    servers: env.list('SFU_ICE_SERVERS', {
      default: [],
      itemDescription: 'stun:/turn: URL',
      item: (v) => (ICE_URL.test(v) ? undefined : 'is not a stun:, stuns:, turn: or turns: URL'),
      description: "STUN/TURN servers for the SFU's own ICE (werift uses the first STUN and the first TURN URL)",
    }),
    username: env.string('SFU_ICE_USERNAME', { optional: true, description: 'TURN username for SFU_ICE_SERVERS' }),
    credential: env.string('SFU_ICE_CREDENTIAL', {
      optional: true,
      secret: true,
      description: 'TURN credential for SFU_ICE_SERVERS',
    }),
    useIpv6: env.bool('SFU_ICE_IPV6', { default: true, description: 'Gather IPv6 host candidates' }),
  },
};

type Parsed = ConfigOf<typeof sfuConfigSpec>;

/** ICE settings of the SFU's PeerConnections, validated. */
export interface SfuIceConfig {
  readonly portRange: readonly [number, number] | undefined;
  readonly announcedAddress: string | undefined;
  readonly interfaceAddress: string | undefined;
  readonly servers: readonly string[];
  readonly username: string | undefined;
  readonly credential: string | undefined;
  readonly useIpv6: boolean;
}

/** The validated configuration, with derived values resolved. */
export interface SfuConfig extends Omit<Parsed, 'workerName' | 'ice'> {
  readonly workerName: string;
  /** `<name>.<incarnation>`: unique per process start. */
  readonly workerId: string;
  readonly ice: SfuIceConfig;
}

/** A short id that differs at every start (time-ordered, plus randomness for same-millisecond starts). */
export function incarnation(now = Date.now(), random = randomBytes(2)): string {
  return `${now.toString(36)}${random.toString('hex')}`;
}

/** Parses `min-max`; returns the problem instead of throwing. */
export function parsePortRange(raw: string): readonly [number, number] | string {
  const [min, max] = raw.split('-').map(Number) as [number, number];
  if (min < 1 || max > 65_535) return 'ports must be within 1-65535';
  // werift needs two distinct ports at least (it refuses min === max).
  if (min >= max) return 'min must be less than max';
  return [min, max];
}

/** Parses and cross-checks the environment; throws `ConfigError` naming every bad variable. */
export function loadSfuConfig(processEnv: Readonly<Record<string, string | undefined>> = process.env): SfuConfig {
  const parsed = parseConfig(sfuConfigSpec, processEnv);
  const problems: ConfigProblem[] = [];
  let portRange: readonly [number, number] | undefined;
  if (parsed.ice.portRange !== undefined) {
    const range = parsePortRange(parsed.ice.portRange);
    if (typeof range === 'string')
      problems.push({ name: 'SFU_ICE_UDP_PORT_RANGE', problem: range, expected: 'min-max within 1-65535, min < max' });
    else portRange = range;
  }
  if (parsed.ice.announcedAddress !== undefined && isIP(parsed.ice.announcedAddress) === 0) {
    problems.push({
      name: 'SFU_ANNOUNCED_ADDRESS',
      problem: 'is not an IP address',
      expected: 'an IPv4 or IPv6 address',
    });
  }
  if (parsed.ice.interfaceAddress !== undefined && isIP(parsed.ice.interfaceAddress) !== 4) {
    problems.push({
      name: 'SFU_ICE_INTERFACE_ADDRESS',
      problem: 'is not an IPv4 address',
      expected: 'a local IPv4 address',
    });
  }
  const hasTurn = parsed.ice.servers.some((url) => url.startsWith('turn'));
  if (hasTurn && (parsed.ice.username === undefined || parsed.ice.credential === undefined)) {
    problems.push({
      name: 'SFU_ICE_USERNAME',
      problem: 'TURN servers need SFU_ICE_USERNAME and SFU_ICE_CREDENTIAL',
      expected: 'both set',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const workerName =
    parsed.workerName ??
    `sfu-${hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 40)}`;
  return {
    ...parsed,
    workerName,
    workerId: `${workerName}.${incarnation()}`,
    ice: { ...parsed.ice, portRange },
  };
}
