/**
 * Turns an accepted client message (or a connection fact) into a `Command` record on
 * `signal.commands`: stamped with a fresh id and the time it is logged, keyed by room (so it lands
 * in the room's partition), with the W3C trace context of the active span in its headers.
 */
import { randomUUID } from 'node:crypto';
import { ATTR, startSendSpan } from '@sig/runtime';
import type { AvroCodec, CommandBody } from '@sig/schemas';
import { buildCommand } from '../domain/commands.js';
import { grantsForRoom } from '../domain/grants.js';
import type { CommandLog } from '../adapters/command-log.js';
import type { Connection } from './connection.js';

/** Where this edge's replies must be routed (stamped on every command). */
export interface EdgeAddress {
  readonly edgeId: string;
  readonly replySlot: number;
}

export class CommandWriter {
  constructor(
    private readonly log: CommandLog,
    private readonly codec: AvroCodec<'signal.Command'>,
    private readonly topic: string,
    private readonly address: EdgeAddress,
    private readonly now: () => number = Date.now,
    private readonly newId: () => string = randomUUID,
  ) {}

  /** Logs `body` for `conn` in `room`; resolves once Kafka confirmed it, rejects with a `SignalError`. */
  write(conn: Connection, room: string, body: CommandBody, requestId: string | null): Promise<void> {
    const commandId = this.newId();
    const command = buildCommand(
      room,
      body,
      {
        ...this.address,
        connectionId: conn.id,
        identity: conn.identity,
        name: conn.name,
        grants: grantsForRoom(conn.video, room),
        tokenExpiresAt: conn.tokenExpiresAt,
      },
      // Stamped when queued for the log: queue order is log order, so receivedAt never goes
      // backwards within this edge's commands for a room.
      { commandId, receivedAt: this.now(), requestId },
    );
    let value: Buffer;
    try {
      value = this.codec.encode(command);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The record's producer span is a child of the active one (`edge receive` for a client frame).
    const span = startSendSpan(
      { topic: this.topic, key: room, messageId: commandId },
      {
        attributes: {
          [ATTR.signalRoom]: room,
          [ATTR.signalCommandType]: body.type,
          [ATTR.signalParticipant]: conn.identity,
        },
      },
    );
    return this.log.append({ topic: this.topic, key: room, value, headers: span.headers, span });
  }
}
