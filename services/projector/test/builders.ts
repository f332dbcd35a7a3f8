import type { ClientSource, Command, CommandBody, Grants } from '@sig/schemas';
import { decide, initialState, type DeciderConfig, type Decision, type RoomState } from '../src/domain/index.js';

export const CONFIG: DeciderConfig = {
  room: { maxParticipants: 3, emptyTimeoutMs: 300_000, departureTimeoutMs: 20_000 },
  resumeWindowEvents: 50,
};

export const ALL_GRANTS: Grants = {
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};

/** A client identity connected through an edge; produces commands from that socket. */
export class Client {
  private n = 0;
  constructor(
    readonly identity: string,
    readonly connectionId = `conn-${identity}`,
    readonly edgeId = 'edge-1',
    readonly grants: Grants = ALL_GRANTS,
  ) {}

  source(requestId: string | null = null): ClientSource & { type: 'ClientSource' } {
    return {
      type: 'ClientSource',
      edgeId: this.edgeId,
      replySlot: 7,
      connectionId: this.connectionId,
      identity: this.identity,
      name: this.identity.toUpperCase(),
      grants: this.grants,
      requestId,
      tokenExpiresAt: 9_999_999_999_999,
    };
  }

  cmd(body: CommandBody, at: number): Command {
    return {
      commandId: `${this.connectionId}-${++this.n}`,
      room: 'room-1',
      receivedAt: at,
      source: this.source(`req-${this.n}`),
      body,
    };
  }

  /** The same identity on a new socket (e.g. after reconnecting to another edge). */
  reconnect(connectionId: string, edgeId = 'edge-2'): Client {
    return new Client(this.identity, connectionId, edgeId, this.grants);
  }
}

export const join = (metadata = ''): CommandBody => ({ type: 'Join', metadata, resume: null });

/** Runs commands in order against a room, returning every decision. */
export function run(
  commands: readonly Command[],
  state: RoomState = initialState('room-1'),
): { state: RoomState; decisions: Decision[] } {
  const decisions: Decision[] = [];
  for (const c of commands) {
    const d = decide(c, state, CONFIG);
    decisions.push(d);
    state = d.state;
  }
  return { state, decisions };
}

export const bodies = (d: Decision) => d.events.map((e) => e.body.type);
