import type { Command, ErrorCode, MediaCommandBody, RoomEvent, RoomEventAudience, RoomEventBody } from '@sig/schemas';
import { evolve } from './evolve.js';
import { participantByConnection, type RoomState } from './state.js';

/** A media command before the adapter gives it an id and addresses it to the room's worker. */
export interface MediaCommandDraft {
  /** Session the command is about ('' for room-wide commands). */
  readonly sessionId: string;
  readonly body: MediaCommandBody;
  /** Room sequence of the event that caused it (the state's seq when no event did). */
  readonly seq: number;
}

/** What the projector decided for one command. */
export interface Decision {
  /** New room events, with consecutive sequence numbers after the state's. */
  readonly events: readonly RoomEvent[];
  /** Media commands for the room's SFU worker. */
  readonly media: readonly MediaCommandDraft[];
  /** Set when the command was refused (a CommandRejected event tells the sender). */
  readonly rejected: { readonly code: ErrorCode; readonly message: string } | null;
  /** The room state after the new events. */
  readonly state: RoomState;
  /** A client retry of a request its session already had decided: no events, nothing to send. */
  readonly duplicate: boolean;
}

/**
 * Accumulates the events of one decision, evolving the state as it goes so that later events
 * of the same decision are decided against the state earlier ones produced.
 */
export class DecisionBuilder {
  private readonly events: RoomEvent[] = [];
  private readonly media: MediaCommandDraft[] = [];
  private rejection: Decision['rejected'] = null;
  private duplicate = false;
  /** The session that sent a client command (recorded in causation, scoping its request id). */
  private sender: string | null;

  constructor(
    private current: RoomState,
    private readonly command: Command,
  ) {
    const src = command.source;
    this.sender =
      src.type === 'ClientSource'
        ? (participantByConnection(current, src.edgeId, src.connectionId)?.sessionId ?? null)
        : null;
  }

  get state(): RoomState {
    return this.current;
  }

  /** Appends an event with the next sequence number. */
  emit(body: RoomEventBody, audience: RoomEventAudience): this {
    const requestId = this.command.source.type === 'ClientSource' ? this.command.source.requestId : null;
    const event: RoomEvent = {
      room: this.current.room,
      seq: this.current.seq + 1,
      at: this.command.receivedAt,
      causation: { commandId: this.command.commandId, requestId, sessionId: this.sender },
      audience,
      body,
    };
    this.current = evolve(this.current, event);
    this.events.push(event);
    return this;
  }

  /**
   * Attributes the rest of this decision to a session the command itself creates or takes over
   * (join, resume): its request id then belongs to that session.
   */
  actingAs(sessionId: string): this {
    this.sender = sessionId;
    return this;
  }

  /** Marks the command as a retry of a request already decided: the decision stays empty. */
  markDuplicate(): this {
    this.duplicate = true;
    return this;
  }

  /** Queues a media command for the room's SFU worker. */
  toMedia(sessionId: string, body: MediaCommandBody): this {
    this.media.push({ sessionId, body, seq: this.current.seq });
    return this;
  }

  /** Refuses the command: only the sender is told, with a stable code. */
  reject(code: ErrorCode, message: string): this {
    const src = this.command.source;
    let audience: RoomEventAudience = { type: 'AudienceNone' };
    if (src.type === 'ClientSource') {
      const sender = [...this.current.participants.values()].find(
        (p) => p.connection.edgeId === src.edgeId && p.connection.connectionId === src.connectionId,
      );
      audience = sender
        ? { type: 'AudienceSessions', sessionIds: [sender.sessionId] }
        : {
            type: 'AudienceConnection',
            connection: { edgeId: src.edgeId, replySlot: src.replySlot, connectionId: src.connectionId },
          };
    }
    this.rejection = { code, message };
    return this.emit(
      {
        type: 'CommandRejected',
        commandId: this.command.commandId,
        code,
        message,
        commandType: this.command.body.type,
      },
      audience,
    );
  }

  build(): Decision {
    return {
      events: this.events,
      media: this.media,
      rejected: this.rejection,
      state: this.current,
      duplicate: this.duplicate,
    };
  }
}
