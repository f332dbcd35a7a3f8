/**
 * Scenario 5 in its own process (so --cpu-prof profiles exactly this work, on one core): builds a
 * synthetic log of `rooms` rooms with the projector's own decider, then measures
 *   - replay: Avro decode + evolve, events/s;
 *   - rebuild without snapshots: every room event through PartitionProjection.applyCommitted
 *     (decode, route, evolve, resume window) — what a projector does with no checkpoint;
 *   - rebuild with snapshots: every room's RoomSnapshot decoded and restored (checkpoint at the
 *     end of the log, so no tail) — what it does after a checkpoint.
 * Kafka reads are not included (scenario 7 measures the client); this is the CPU part.
 * Prints one JSON line with the results.
 */
import { performance } from 'node:perf_hooks';
import type { ClientSource, Command, CommandBody, RoomEvent } from '@sig/schemas';
import { AvroCodec, SchemaSet } from '@sig/schemas';
import { evolve, initialState, type DeciderConfig, type RoomState } from '@sig/projector/domain';
import { PartitionProjection } from '@sig/projector/projection';

const rooms = Number(process.argv[2] ?? 10_000);
const CONFIG: DeciderConfig = {
  room: { maxParticipants: 100, emptyTimeoutMs: 300_000, departureTimeoutMs: 20_000 },
  resumeWindowEvents: 1024,
};
const set = SchemaSet.load();
const codecs = {
  roomEvent: new AvroCodec(set, 'signal.RoomEvent'),
  delivery: new AvroCodec(set, 'signal.Delivery'),
  media: new AvroCodec(set, 'signal.MediaCommand'),
};
const snapshotCodec = new AvroCodec(set, 'signal.RoomSnapshot');

const grants = {
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};
const source = (identity: string, n: number): ClientSource & { type: 'ClientSource' } => ({
  type: 'ClientSource',
  edgeId: 'edge-1',
  replySlot: 0,
  connectionId: `c-${identity}`,
  identity,
  name: identity,
  grants,
  requestId: `r${n}`,
  tokenExpiresAt: 9_999_999_999_999,
});
const sdp = (kind: string) =>
  `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=${kind}\r\n` + 'a=x-pad:'.padEnd(1800, 'x');
const cand = (i: number) => ({
  candidate: `candidate:842163049 1 udp 1677729535 192.0.2.10 ${40000 + i} typ srflx raddr 10.0.0.5 rport 51234 generation 0`,
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: null,
});

/** A room's life: two participants join, exchange offer/answer, 6 candidates, 2 data messages. */
function roomCommands(room: string, at: number): Command[] {
  let n = 0;
  const cmd = (who: string, body: CommandBody): Command => ({
    commandId: `${room}-${++n}`,
    room,
    receivedAt: at + n,
    source: source(who, n),
    body,
  });
  const signal = (from: string, to: string, kind: 'OFFER' | 'ANSWER' | 'CANDIDATE', i = 0) =>
    cmd(from, {
      type: 'PeerSignal',
      to,
      kind,
      sdp: kind === 'CANDIDATE' ? null : sdp(kind),
      candidate: kind === 'CANDIDATE' ? cand(i) : null,
    });
  return [
    cmd('alice', { type: 'Join', metadata: '', resume: null }),
    cmd('bob', { type: 'Join', metadata: '', resume: null }),
    signal('alice', 'bob', 'OFFER'),
    signal('bob', 'alice', 'ANSWER'),
    ...[0, 1, 2].flatMap((i) => [signal('alice', 'bob', 'CANDIDATE', i), signal('bob', 'alice', 'CANDIDATE', i)]),
    cmd('alice', { type: 'SendData', to: [], payload: 'hello', topic: null }),
    cmd('bob', { type: 'SendData', to: [], payload: 'hi', topic: null }),
  ];
}

// Build the log with the projector's own decision path, as one partition would hold it.
const tBuild = performance.now();
let source1: PartitionProjection | undefined = new PartitionProjection(0, CONFIG, codecs);
const chunks: Buffer[] = [];
for (let r = 0; r < rooms; r++) {
  const out = source1.process(roomCommands(`room-${r}`, 1_700_000_000_000), 0);
  for (const e of out.roomEvents) chunks.push(e.value);
}
const buildMs = performance.now() - tBuild;
const events = chunks.length;
const logBytes = chunks.reduce((s, c) => s + c.length, 0);
const snapshots = source1.takeSnapshots(BigInt(events - 1), Date.now()).map((s) => snapshotCodec.encode(s));
source1 = undefined; // only its output is needed from here on
const snapshotBytes = snapshots.reduce((s, c) => s + c.length, 0);

function cpuTimed<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

// Warm up the JIT on a slice, then measure each path on the whole log.
const replay = () => {
  const states = new Map<string, RoomState>();
  for (const bytes of chunks) {
    const e: RoomEvent = codecs.roomEvent.decode(bytes);
    states.set(e.room, evolve(states.get(e.room) ?? initialState(e.room), e));
  }
  return states.size;
};
const decodeOnly = () => {
  let n = 0;
  for (const bytes of chunks) n += codecs.roomEvent.decode(bytes).seq;
  return n;
};
const rebuildFull = () => {
  const p = new PartitionProjection(0, CONFIG, codecs);
  let offset = 0n;
  for (const bytes of chunks) p.applyCommitted(codecs.roomEvent.decode(bytes), bytes, offset++);
  return p.rooms.size;
};
const rebuildSnap = () => {
  const p = new PartitionProjection(0, CONFIG, codecs);
  for (const bytes of snapshots) p.restore(snapshotCodec.decode(bytes));
  return p.rooms.size;
};
for (const bytes of chunks.slice(0, 20_000)) codecs.roomEvent.decode(bytes);

const rep = cpuTimed(replay);
const dec = cpuTimed(decodeOnly);
const full = cpuTimed(rebuildFull);
const snap = cpuTimed(rebuildSnap);
if (rep.value !== rooms || full.value !== rooms || snap.value !== rooms)
  throw new Error('rebuilt room count differs from the log');

process.stdout.write(
  JSON.stringify({
    msg: 'result',
    rooms,
    events,
    logMiB: Math.round((logBytes / 2 ** 20) * 10) / 10,
    snapshotMiB: Math.round((snapshotBytes / 2 ** 20) * 10) / 10,
    buildEventsPerS: Math.round(events / (buildMs / 1000)),
    replay: {
      ms: Math.round(rep.ms),
      cpuMs: Math.round(rep.cpuMs),
      eventsPerS: Math.round(events / (rep.ms / 1000)),
      eventsPerCpuS: Math.round(events / (rep.cpuMs / 1000)),
    },
    decodeOnly: { ms: Math.round(dec.ms), eventsPerS: Math.round(events / (dec.ms / 1000)) },
    rebuildWithoutSnapshots: {
      ms: Math.round(full.ms),
      cpuMs: Math.round(full.cpuMs),
      eventsPerS: Math.round(events / (full.ms / 1000)),
    },
    rebuildWithSnapshots: {
      ms: Math.round(snap.ms),
      cpuMs: Math.round(snap.cpuMs),
      roomsPerS: Math.round(rooms / (snap.ms / 1000)),
    },
  }) + '\n',
);
