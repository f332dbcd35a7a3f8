/**
 * Server → client messages. Those rendered from a room event carry its `seq`. They are open to
 * new optional fields (no `additionalProperties: false`): clients ignore what they do not know,
 * which lets the server evolve without breaking deployed clients.
 */
import Type, { type Static, type TProperties } from 'typebox';
import { ErrorCodeValues } from '../generated/types.js';
import {
  DisplayName,
  Identity,
  WireLeaveReason,
  Metadata,
  Millis,
  WireParticipantStatus,
  WireMediaTransport,
  WirePeerSignalKind,
  PingTs,
  PROTOCOL_LIMITS,
  Reason,
  RequestId,
  WireResumeFailure,
  WireRoomCloseReason,
  RoomId,
  Sdp,
  Seq,
  SessionId,
  Timestamp,
  TrackId,
  WireGrants,
  WireIceCandidate,
  WireIceServer,
  WireParticipant,
  WireTrack,
} from './common.js';

function serverMessage<const T extends string, const P extends TProperties>(
  type: T,
  properties: P,
  description: string,
) {
  return Type.Object({ type: Type.Literal(type), ...properties }, { title: type, description });
}

const ServerTrackIds = Type.Array(TrackId, { description: 'Track ids.' });

export const ServerAck = serverMessage(
  'ack',
  { id: RequestId },
  'The client message with this id is accepted: durably in Kafka (for the edge-local ping, pong and refresh_token: processed by the edge).',
);
export type ServerAck = Static<typeof ServerAck>;

export const ServerError = serverMessage(
  'error',
  {
    id: Type.Optional(RequestId),
    code: Type.Enum(ErrorCodeValues, {
      description: 'Stable error code (see the error code table); branch on it, never on `message`.',
    }),
    message: Type.String({
      description: 'Human-readable detail; for invalid_message, the JSON path and what was expected.',
    }),
    retriable: Type.Boolean({
      description: 'Whether the same message may succeed if sent again unchanged, after a delay.',
    }),
    retryAfterMs: Type.Optional(
      Type.Integer({ minimum: 0, description: 'When retriable: wait at least this long before retrying.' }),
    ),
    seq: Type.Optional(Seq),
  },
  'A client message was refused (with the request id when the message had a readable one), or a connection-level problem. Carries `seq` when rendered from a CommandRejected room event.',
);
export type ServerError = Static<typeof ServerError>;

export const ServerJoined = serverMessage(
  'joined',
  {
    seq: Seq,
    room: RoomId,
    sessionId: SessionId,
    self: WireParticipant,
    participants: Type.Array(WireParticipant, { description: 'The other visible participants.' }),
    roomMetadata: Metadata,
    iceServers: Type.Array(WireIceServer, {
      maxItems: PROTOCOL_LIMITS.items,
      description: 'STUN/TURN servers with short-lived TURN credentials.',
    }),
    heartbeat: Type.Object(
      {
        intervalMs: Type.Integer({ minimum: 1, description: 'The server pings this often.' }),
        timeoutMs: Type.Integer({
          minimum: 1,
          description: 'Without a pong (or any frame) this long, the server closes with 4006.',
        }),
      },
      { description: 'Heartbeat settings of this connection.' },
    ),
    resumeWindow: Type.Object(
      {
        events: Type.Integer({
          minimum: 0,
          description: 'At most this many missed events can be replayed by a resume.',
        }),
        ms: Type.Integer({
          minimum: 0,
          description: 'A session can be resumed for this long after its connection was lost.',
        }),
      },
      { description: 'How far back a resume can reach.' },
    ),
  },
  'The join succeeded: the room as of `seq`. Every later room message has a greater seq.',
);
export type ServerJoined = Static<typeof ServerJoined>;

export const ServerResumed = serverMessage(
  'resumed',
  {
    seq: Seq,
    sessionId: SessionId,
    replayed: Type.Integer({ minimum: 0, description: 'How many missed events were sent before this message.' }),
  },
  'The resume succeeded. Sent after the missed events, which arrive first as ordinary messages with their own seq.',
);
export type ServerResumed = Static<typeof ServerResumed>;

export const ServerResumeFailed = serverMessage(
  'resume_failed',
  { sessionId: SessionId, reason: WireResumeFailure, seq: Type.Optional(Seq) },
  'The session cannot be resumed; join again without `resume`. Carries `seq` when rendered from a ResumeRejected room event; the client must not use it as its lastSeq.',
);
export type ServerResumeFailed = Static<typeof ServerResumeFailed>;

export const ServerParticipantJoined = serverMessage(
  'participant_joined',
  { seq: Seq, participant: WireParticipant },
  'A participant joined the room.',
);
export type ServerParticipantJoined = Static<typeof ServerParticipantJoined>;

export const ServerParticipantUpdated = serverMessage(
  'participant_updated',
  {
    seq: Seq,
    sessionId: SessionId,
    identity: Identity,
    name: Type.Optional(DisplayName),
    metadata: Type.Optional(Metadata),
    grants: Type.Optional(WireGrants),
    status: Type.Optional(WireParticipantStatus),
  },
  "A participant's name, metadata, grants or connection status changed (only the changed fields are present).",
);
export type ServerParticipantUpdated = Static<typeof ServerParticipantUpdated>;

export const ServerParticipantLeft = serverMessage(
  'participant_left',
  { seq: Seq, sessionId: SessionId, identity: Identity, reason: WireLeaveReason },
  'A participant left the room (always after its participant_joined).',
);
export type ServerParticipantLeft = Static<typeof ServerParticipantLeft>;

export const ServerTrackPublished = serverMessage(
  'track_published',
  { seq: Seq, sessionId: SessionId, identity: Identity, track: WireTrack },
  'A participant published a track; subscribe to it by trackId.',
);
export type ServerTrackPublished = Static<typeof ServerTrackPublished>;

export const ServerTrackUnpublished = serverMessage(
  'track_unpublished',
  { seq: Seq, sessionId: SessionId, trackId: TrackId },
  'A track was removed.',
);
export type ServerTrackUnpublished = Static<typeof ServerTrackUnpublished>;

export const ServerTrackMuted = serverMessage(
  'track_muted',
  { seq: Seq, sessionId: SessionId, trackId: TrackId, muted: Type.Boolean(), by: Identity },
  'A track was muted or unmuted, by its publisher or by an admin (`by`).',
);
export type ServerTrackMuted = Static<typeof ServerTrackMuted>;

export const ServerSignal = serverMessage(
  'signal',
  {
    seq: Seq,
    from: Identity,
    fromSessionId: SessionId,
    kind: WirePeerSignalKind,
    sdp: Type.Optional(Sdp),
    candidate: Type.Optional(WireIceCandidate),
  },
  'A P2P signaling message from another participant.',
);
export type ServerSignal = Static<typeof ServerSignal>;

export const ServerMediaSignal = serverMessage(
  'media_signal',
  {
    seq: Seq,
    transport: WireMediaTransport,
    kind: WirePeerSignalKind,
    sdp: Type.Optional(Sdp),
    candidate: Type.Optional(WireIceCandidate),
  },
  "The SFU's side of one of this participant's SFU connections: the answer on the publisher connection, an offer on the subscriber connection, or a candidate for either.",
);
export type ServerMediaSignal = Static<typeof ServerMediaSignal>;

export const ServerSubscriptionChanged = serverMessage(
  'subscription_changed',
  { seq: Seq, trackIds: ServerTrackIds },
  'The tracks this participant now receives.',
);
export type ServerSubscriptionChanged = Static<typeof ServerSubscriptionChanged>;

export const ServerMediaReset = serverMessage(
  'media_reset',
  { seq: Seq, reason: Reason },
  'The media state was lost (SFU worker failover): re-publish and re-subscribe on a new SFU connection.',
);
export type ServerMediaReset = Static<typeof ServerMediaReset>;

export const ServerData = serverMessage(
  'data',
  {
    seq: Seq,
    from: Identity,
    fromSessionId: SessionId,
    payload: Type.String({ maxLength: PROTOCOL_LIMITS.payload }),
    topic: Type.Optional(Type.String({ maxLength: PROTOCOL_LIMITS.topic })),
  },
  'A data message from another participant.',
);
export type ServerData = Static<typeof ServerData>;

export const ServerRoomUpdated = serverMessage(
  'room_updated',
  { seq: Seq, metadata: Metadata },
  "The room's metadata changed.",
);
export type ServerRoomUpdated = Static<typeof ServerRoomUpdated>;

export const ServerRoomClosed = serverMessage(
  'room_closed',
  { seq: Seq, reason: WireRoomCloseReason },
  'The room closed; the server closes the socket with 1000.',
);
export type ServerRoomClosed = Static<typeof ServerRoomClosed>;

export const ServerPing = serverMessage('ping', { ts: PingTs }, 'Heartbeat: answer with `pong` and the same ts.');
export type ServerPing = Static<typeof ServerPing>;

export const ServerPong = serverMessage('pong', { ts: PingTs }, 'Answer to a client `ping`, echoing its ts.');
export type ServerPong = Static<typeof ServerPong>;

export const ServerNotice = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('notice'),
        kind: Type.Literal('reconnect_elsewhere'),
        deadlineMs: Millis,
        reason: Reason,
      },
      {
        description:
          'This edge is draining: reconnect (to any edge) and resume within deadlineMs, after which it closes with 4005.',
      },
    ),
    Type.Object(
      {
        type: Type.Literal('notice'),
        kind: Type.Literal('token_expiring'),
        expiresAt: Timestamp,
      },
      {
        description:
          'The access token expires at expiresAt: send refresh_token before, or the server closes with 4001.',
      },
    ),
    Type.Object(
      {
        type: Type.Literal('notice'),
        kind: Type.Literal('kicked'),
        reason: Reason,
      },
      { description: 'An admin removed this participant; the server closes with 4002.' },
    ),
    Type.Object(
      {
        type: Type.Literal('notice'),
        kind: Type.Literal('ice_servers'),
        iceServers: Type.Array(WireIceServer, {
          maxItems: PROTOCOL_LIMITS.items,
          description: 'The same servers as in joined, with fresh TURN credentials.',
        }),
        expiresAt: Timestamp,
      },
      {
        description:
          'The TURN credentials of joined (or of the previous ice_servers) expire soon: use these for new ICE gathering (RTCPeerConnection.setConfiguration before an ICE restart). Sent a quarter of the TTL before expiry; existing allocations are refreshed by the browser with the credentials they were created with.',
      },
    ),
  ],
  { title: 'notice', description: 'Out-of-band information about this connection, discriminated by `kind`.' },
);
export type ServerNotice = Static<typeof ServerNotice>;

/** Every server message schema by its `type`; the order is the documentation's. */
export const ServerMessageSchemas = {
  ack: ServerAck,
  error: ServerError,
  joined: ServerJoined,
  resumed: ServerResumed,
  resume_failed: ServerResumeFailed,
  participant_joined: ServerParticipantJoined,
  participant_updated: ServerParticipantUpdated,
  participant_left: ServerParticipantLeft,
  track_published: ServerTrackPublished,
  track_unpublished: ServerTrackUnpublished,
  track_muted: ServerTrackMuted,
  signal: ServerSignal,
  media_signal: ServerMediaSignal,
  subscription_changed: ServerSubscriptionChanged,
  media_reset: ServerMediaReset,
  data: ServerData,
  room_updated: ServerRoomUpdated,
  room_closed: ServerRoomClosed,
  ping: ServerPing,
  pong: ServerPong,
  notice: ServerNotice,
} as const;

/** A server message `type`. */
export type ServerMessageType = keyof typeof ServerMessageSchemas;

/** Every server message type, in documentation order. */
export const SERVER_MESSAGE_TYPES = Object.keys(ServerMessageSchemas) as readonly ServerMessageType[];

/** Any server → client message, discriminated by `type`. */
export type ServerMessage = { [K in ServerMessageType]: Static<(typeof ServerMessageSchemas)[K]> }[ServerMessageType];

/** The server message of a given type. */
export type ServerMessageOf<K extends ServerMessageType> = Extract<ServerMessage, { type: K }>;

/** Server message types rendered from a room event: they carry `seq`, and the client tracks it. */
export const SEQUENCED_SERVER_MESSAGE_TYPES = [
  'joined',
  'resumed',
  'participant_joined',
  'participant_updated',
  'participant_left',
  'track_published',
  'track_unpublished',
  'track_muted',
  'signal',
  'media_signal',
  'subscription_changed',
  'media_reset',
  'data',
  'room_updated',
  'room_closed',
] as const satisfies readonly ServerMessageType[];
