import type { AvroCodec, Command, ConnectionRef, Delivery, MediaCommand, RoomEvent, RoomSnapshot } from '@sig/schemas';
import {
  decide,
  evolve,
  initialState,
  route,
  STATE_FORMAT,
  stateFromJson,
  stateToJson,
  type DeciderConfig,
  type Decision,
  type RoomState,
  type RoomStateJson,
} from '../domain/index.js';
import { ResumeWindow } from './resume-window.js';
import { chunkByBytes, RESUME_CHUNK_BYTES } from './chunk.js';

/** Records one command batch produces, ready to be written in one transaction. */
export interface BatchOutput {
  readonly roomEvents: Array<{ readonly room: string; readonly value: Buffer; readonly event: RoomEvent }>;
  readonly deliveries: Array<{ readonly partition: number; readonly key: string; readonly value: Buffer }>;
  readonly media: Array<{ readonly room: string; readonly value: Buffer; readonly commandId: string }>;
  readonly decisions: Array<{ readonly command: Command; readonly decision: Decision }>;
  readonly touchedRooms: Set<string>;
}

/** An output with nothing in it yet. */
export function emptyOutput(): BatchOutput {
  return { roomEvents: [], deliveries: [], media: [], decisions: [], touchedRooms: new Set() };
}

/** Codecs the projection needs. */
export interface ProjectionCodecs {
  readonly roomEvent: AvroCodec<'signal.RoomEvent'>;
  readonly delivery: AvroCodec<'signal.Delivery'>;
  readonly media: AvroCodec<'signal.MediaCommand'>;
}

/**
 * The rooms of one partition: their states and resume windows, rebuilt from room events and
 * advanced by commands. It does no I/O; the Kafka adapter writes its output transactionally.
 * After a failed transaction the whole projection is discarded and rebuilt from the log, so
 * in-memory state never runs ahead of what Kafka committed.
 */
export class PartitionProjection {
  readonly rooms = new Map<string, RoomState>();
  private readonly windows = new Map<string, ResumeWindow>();
  private eventsApplied = 0;
  /** Rooms changed since their last snapshot. */
  private readonly dirty = new Set<string>();
  /** Events applied since the last snapshot round. */
  eventsSinceSnapshot = 0;
  /** Offset of the last room event of this partition known to be committed. */
  lastEventOffset: bigint | null = null;

  constructor(
    readonly partition: number,
    private readonly config: DeciderConfig,
    private readonly codecs: ProjectionCodecs,
  ) {}

  /** Restores a room from its snapshot (rebuild, before the tail of the log is applied). */
  restore(snapshot: RoomSnapshot): void {
    const json = JSON.parse(snapshot.state.toString('utf8')) as SnapshotState;
    this.rooms.set(snapshot.room, stateFromJson(json.state, snapshot.stateFormat));
    this.window(snapshot.room).restore(
      json.window.map((w, i) => ({ seq: w.seq, addressed: new Set(w.addressed), bytes: snapshot.window[i]! })),
    );
  }

  /** Rebuild path: applies one committed room event (skipping what a snapshot already covers). */
  applyCommitted(event: RoomEvent, bytes: Buffer, offset: bigint): void {
    this.lastEventOffset = offset;
    const before = this.rooms.get(event.room) ?? initialState(event.room);
    if (event.seq <= before.seq) return;
    this.dirty.add(event.room);
    this.eventsSinceSnapshot++;
    const routing = route(event, before);
    this.rooms.set(event.room, evolve(before, event));
    this.remember(event, bytes, routing.addressed);
    this.eventsApplied++;
  }

  /** Decides a batch of commands, returning the records to write. Mutates the projection. */
  process(commands: readonly Command[], now: number): BatchOutput {
    const out = emptyOutput();
    for (const command of commands) this.decideInto(out, command);
    void now;
    return out;
  }

  /**
   * Decides one command, appending the records it causes to `out` (the worker traces each
   * command on its own, so it needs to know which records each one caused).
   */
  decideInto(out: BatchOutput, command: Command): Decision {
    const before = this.rooms.get(command.room) ?? initialState(command.room);
    const decision = decide(command, before, this.config);
    out.decisions.push({ command, decision });
    if (decision.events.length === 0 && decision.media.length === 0) return decision;
    out.touchedRooms.add(command.room);
    this.dirty.add(command.room);
    this.eventsSinceSnapshot += decision.events.length;
    let state = before;
    for (const event of decision.events) {
      const bytes = this.codecs.roomEvent.encode(event);
      const routing = route(event, state);
      state = evolve(state, event);
      this.remember(event, bytes, routing.addressed);
      out.roomEvents.push({ room: command.room, value: bytes, event });
      this.deliver(out, event, bytes, routing.live);
    }
    this.rooms.set(command.room, decision.state);
    decision.media.forEach((m, i) => {
      const record: MediaCommand = {
        commandId: `${command.commandId}:m${i}`,
        room: command.room,
        seq: m.seq,
        at: command.receivedAt,
        sessionId: m.sessionId,
        body: m.body,
      };
      out.media.push({ room: command.room, value: this.codecs.media.encode(record), commandId: record.commandId });
    });
    this.eventsApplied += decision.events.length;
    return decision;
  }

  /** Marks rooms as changed again (a snapshot round that was not written). */
  markDirty(rooms: Iterable<string>): void {
    for (const room of rooms) this.dirty.add(room);
  }

  /** Room events applied since this projection was built (for snapshot cadence and metrics). */
  get applied(): number {
    return this.eventsApplied;
  }

  /**
   * Snapshots of every room changed since its last snapshot, all covering the room-event log
   * up to `offset`. Written with a partition checkpoint in the same transaction, they let a
   * rebuild start at `offset + 1` instead of the beginning of the log.
   */
  takeSnapshots(offset: bigint, takenAt: number): RoomSnapshot[] {
    const snapshots: RoomSnapshot[] = [];
    for (const room of this.dirty) {
      const state = this.rooms.get(room);
      if (!state) continue;
      const entries = this.window(room).snapshot();
      const json: SnapshotState = {
        state: stateToJson(state),
        window: entries.map((e) => ({ seq: e.seq, addressed: [...e.addressed] })),
      };
      snapshots.push({
        room,
        seq: state.seq,
        offset: Number(offset),
        takenAt,
        stateFormat: STATE_FORMAT,
        state: Buffer.from(JSON.stringify(json)),
        window: entries.map((e) => e.bytes),
      });
    }
    this.dirty.clear();
    this.eventsSinceSnapshot = 0;
    return snapshots;
  }

  private deliver(
    out: BatchOutput,
    event: RoomEvent,
    bytes: Buffer,
    live: ReadonlyArray<{ connection: ConnectionRef }>,
  ): void {
    if (event.body.type === 'ParticipantResumed') {
      const { sessionId, lastSeq, connection } = event.body;
      // Everything the session missed, in order, then the resume confirmation itself.
      const missed = (this.window(event.room).missedBy(sessionId, lastSeq) ?? []).filter((b) => b !== bytes);
      // Several records when it is large (see chunk.ts); the edge adds up `replayed` across them.
      for (const events of chunkByBytes([...missed, bytes], (b) => b.length, RESUME_CHUNK_BYTES))
        this.pushDelivery(out, connection, event.room, 'RESUME', events);
      return;
    }
    const byEdge = new Map<string, { connection: ConnectionRef; ids: string[] }>();
    for (const { connection } of live) {
      const entry = byEdge.get(connection.edgeId) ?? { connection, ids: [] };
      entry.ids.push(connection.connectionId);
      byEdge.set(connection.edgeId, entry);
    }
    for (const { connection, ids } of byEdge.values())
      this.pushDelivery(out, connection, event.room, 'LIVE', [bytes], ids);
  }

  private pushDelivery(
    out: BatchOutput,
    to: ConnectionRef,
    room: string,
    kind: Delivery['kind'],
    events: Buffer[],
    ids = [to.connectionId],
  ): void {
    const delivery: Delivery = { edgeId: to.edgeId, room, connectionIds: ids, kind, events };
    out.deliveries.push({ partition: to.replySlot, key: to.edgeId, value: this.codecs.delivery.encode(delivery) });
  }

  /** Events held for resume, over every room (bounded: see `remember`). */
  get heldResumeEvents(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.held;
    return n;
  }

  /**
   * Keeps an event for resume. Each window holds at most 2 × RESUME_WINDOW_EVENTS events, and a
   * closed room's window is dropped (nobody is left to resume into it), so memory follows the
   * open rooms, not every room the partition ever saw.
   */
  private remember(event: RoomEvent, bytes: Buffer, addressed: Iterable<string>): void {
    if (event.body.type === 'RoomClosed') {
      this.windows.delete(event.room);
      return;
    }
    this.window(event.room).push({ seq: event.seq, bytes, addressed: new Set(addressed) });
  }

  private window(room: string): ResumeWindow {
    let w = this.windows.get(room);
    if (!w) {
      w = new ResumeWindow(this.config.resumeWindowEvents);
      this.windows.set(room, w);
    }
    return w;
  }
}

/** JSON layout of `RoomSnapshot.state`: the room state and the resume window's routing. */
interface SnapshotState {
  readonly state: RoomStateJson;
  readonly window: ReadonlyArray<{ readonly seq: number; readonly addressed: readonly string[] }>;
}

/** Key of the partition checkpoint record on the snapshots topic. */
export const checkpointKey = (partition: number) => `checkpoint:${partition}`;
