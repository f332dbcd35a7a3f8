import type { AvroCodec, Command, ConnectionRef, Delivery, MediaCommand, RoomEvent } from '@sig/schemas';
import { decide, evolve, initialState, route, type DeciderConfig, type Decision, type RoomState } from '../domain/index.js';
import { ResumeWindow } from './resume-window.js';

/** Records one command batch produces, ready to be written in one transaction. */
export interface BatchOutput {
  readonly roomEvents: Array<{ readonly room: string; readonly value: Buffer; readonly event: RoomEvent }>;
  readonly deliveries: Array<{ readonly partition: number; readonly key: string; readonly value: Buffer }>;
  readonly media: Array<{ readonly room: string; readonly value: Buffer }>;
  readonly decisions: Array<{ readonly command: Command; readonly decision: Decision }>;
  readonly touchedRooms: Set<string>;
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

  constructor(
    readonly partition: number,
    private readonly config: DeciderConfig,
    private readonly codecs: ProjectionCodecs,
  ) {}

  /** Rebuild path: applies one committed room event. */
  applyCommitted(event: RoomEvent, bytes: Buffer): void {
    const before = this.rooms.get(event.room) ?? initialState(event.room);
    const routing = route(event, before);
    this.rooms.set(event.room, evolve(before, event));
    this.window(event.room).push({ seq: event.seq, bytes, addressed: new Set(routing.addressed) });
    this.eventsApplied++;
  }

  /** Decides a batch of commands, returning the records to write. Mutates the projection. */
  process(commands: readonly Command[], now: number): BatchOutput {
    const out: BatchOutput = { roomEvents: [], deliveries: [], media: [], decisions: [], touchedRooms: new Set() };
    for (const command of commands) {
      const before = this.rooms.get(command.room) ?? initialState(command.room);
      const decision = decide(command, before, this.config);
      out.decisions.push({ command, decision });
      if (decision.events.length === 0 && decision.media.length === 0) continue;
      out.touchedRooms.add(command.room);
      let state = before;
      for (const event of decision.events) {
        const bytes = this.codecs.roomEvent.encode(event);
        const routing = route(event, state);
        state = evolve(state, event);
        this.window(command.room).push({ seq: event.seq, bytes, addressed: new Set(routing.addressed) });
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
        out.media.push({ room: command.room, value: this.codecs.media.encode(record) });
      });
      this.eventsApplied += decision.events.length;
    }
    void now;
    return out;
  }

  /** Room events applied since this projection was built (for snapshot cadence and metrics). */
  get applied(): number {
    return this.eventsApplied;
  }

  private deliver(out: BatchOutput, event: RoomEvent, bytes: Buffer, live: ReadonlyArray<{ connection: ConnectionRef }>): void {
    if (event.body.type === 'ParticipantResumed') {
      const { sessionId, lastSeq, connection } = event.body;
      // Everything the session missed, in order, then the resume confirmation itself.
      const missed = (this.window(event.room).missedBy(sessionId, lastSeq) ?? []).filter((b) => b !== bytes);
      this.pushDelivery(out, connection, event.room, 'RESUME', [...missed, bytes]);
      return;
    }
    const byEdge = new Map<string, { connection: ConnectionRef; ids: string[] }>();
    for (const { connection } of live) {
      const entry = byEdge.get(connection.edgeId) ?? { connection, ids: [] };
      entry.ids.push(connection.connectionId);
      byEdge.set(connection.edgeId, entry);
    }
    for (const { connection, ids } of byEdge.values()) this.pushDelivery(out, connection, event.room, 'LIVE', [bytes], ids);
  }

  private pushDelivery(out: BatchOutput, to: ConnectionRef, room: string, kind: Delivery['kind'], events: Buffer[], ids = [to.connectionId]): void {
    const delivery: Delivery = { edgeId: to.edgeId, room, connectionIds: ids, kind, events };
    out.deliveries.push({ partition: to.replySlot, key: to.edgeId, value: this.codecs.delivery.encode(delivery) });
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
