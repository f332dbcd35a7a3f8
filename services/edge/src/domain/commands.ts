/**
 * Client protocol message → Avro `Command`. The wire speaks lower-case enums and optional fields;
 * the log speaks Avro symbols and explicit nulls. Dispatch goes through a typed handler map, so a
 * new client message type fails to compile until it is mapped (or declared edge-local).
 */
import {
  toAvroEnum,
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  type Command,
  type CommandBody,
  type Grants,
  type IceCandidate,
  type WireIceCandidate,
} from '@sig/schemas';

/** Messages the edge answers itself: never logged, never seen by the projector. */
export const EDGE_LOCAL_TYPES = ['ping', 'pong', 'refresh_token'] as const;
export type EdgeLocalType = (typeof EDGE_LOCAL_TYPES)[number];
/** Messages that become commands on `signal.commands`. */
export type LoggedType = Exclude<ClientMessageType, EdgeLocalType>;
export type LoggedMessage = Exclude<ClientMessage, { type: EdgeLocalType }>;

/** Whether a message is answered by the edge alone. */
export function isEdgeLocal(msg: ClientMessage): msg is Extract<ClientMessage, { type: EdgeLocalType }> {
  return (EDGE_LOCAL_TYPES as readonly string[]).includes(msg.type);
}

type Mapper<K extends LoggedType> = (msg: ClientMessageOf<K>) => CommandBody;

function candidate(c: WireIceCandidate): IceCandidate {
  return {
    candidate: c.candidate,
    sdpMid: c.sdpMid ?? null,
    sdpMLineIndex: c.sdpMLineIndex ?? null,
    usernameFragment: c.usernameFragment ?? null,
  };
}

const MAPPERS: { readonly [K in LoggedType]: Mapper<K> } = {
  join: (m) => ({
    type: 'Join',
    metadata: m.metadata ?? '',
    resume: m.resume ? { sessionId: m.resume.sessionId, lastSeq: m.resume.lastSeq } : null,
  }),
  leave: () => ({ type: 'Leave' }),
  signal: (m) => ({
    type: 'PeerSignal',
    to: m.to,
    kind: toAvroEnum(m.kind),
    sdp: m.sdp ?? null,
    candidate: m.candidate ? candidate(m.candidate) : null,
  }),
  publish: (m) => ({
    type: 'Publish',
    sdp: m.sdp,
    tracks: m.tracks.map((t) => ({
      trackId: t.trackId,
      kind: toAvroEnum(t.kind),
      source: t.source ? toAvroEnum(t.source) : 'UNKNOWN',
      muted: false,
      mid: null,
    })),
  }),
  unpublish: (m) => ({ type: 'Unpublish', trackIds: m.trackIds }),
  subscribe: (m) => ({ type: 'Subscribe', trackIds: m.trackIds }),
  unsubscribe: (m) => ({ type: 'Unsubscribe', trackIds: m.trackIds }),
  media_sdp: (m) => ({
    type: 'MediaSdp',
    transport: toAvroEnum(m.transport),
    sdpType: toAvroEnum(m.sdpType),
    sdp: m.sdp,
  }),
  media_candidate: (m) => ({
    type: 'MediaCandidate',
    transport: toAvroEnum(m.transport),
    candidate: m.candidate ? candidate(m.candidate) : null,
  }),
  restart_ice: () => ({ type: 'RestartIce' }),
  data: (m) => ({ type: 'SendData', to: m.to ?? [], payload: m.payload, topic: m.topic ?? null }),
  update_metadata: (m) => ({ type: 'UpdateMetadata', name: m.name ?? null, metadata: m.metadata ?? null }),
  kick: (m) => ({ type: 'KickParticipant', identity: m.identity }),
  mute_track: (m) => ({ type: 'MuteTrack', identity: m.identity, trackId: m.trackId, muted: m.muted }),
  update_permissions: (m) => ({
    type: 'UpdatePermissions',
    identity: m.identity,
    // Absent = unchanged, as on the wire: the projector applies the update to the current grants.
    grants: {
      roomAdmin: m.grants.roomAdmin ?? null,
      canPublish: m.grants.canPublish ?? null,
      canSubscribe: m.grants.canSubscribe ?? null,
      canPublishData: m.grants.canPublishData ?? null,
      hidden: m.grants.hidden ?? null,
    },
  }),
  update_room_metadata: (m) => ({ type: 'UpdateRoomMetadata', metadata: m.metadata }),
};

/** The Avro command body of a logged client message. */
export function toCommandBody(msg: LoggedMessage): CommandBody {
  return (MAPPERS[msg.type] as Mapper<LoggedType>)(msg);
}

/** Who sent a command: everything the projector needs to address answers to this connection. */
export interface CommandOrigin {
  readonly edgeId: string;
  readonly replySlot: number;
  readonly connectionId: string;
  readonly identity: string;
  readonly name: string;
  readonly grants: Grants;
  readonly tokenExpiresAt: number;
}

/** Everything that makes a command unique, passed in (the domain reads no clock and no RNG). */
export interface CommandStamp {
  readonly commandId: string;
  readonly receivedAt: number;
  readonly requestId: string | null;
}

/** A complete `Command` record for `signal.commands`. */
export function buildCommand(room: string, body: CommandBody, origin: CommandOrigin, stamp: CommandStamp): Command {
  return {
    commandId: stamp.commandId,
    room,
    receivedAt: stamp.receivedAt,
    source: {
      type: 'ClientSource',
      edgeId: origin.edgeId,
      replySlot: origin.replySlot,
      connectionId: origin.connectionId,
      identity: origin.identity,
      name: origin.name,
      grants: origin.grants,
      requestId: stamp.requestId,
      tokenExpiresAt: origin.tokenExpiresAt,
    },
    body,
  };
}
