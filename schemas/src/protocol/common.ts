/**
 * Building blocks shared by the client and server messages of the WebSocket protocol: limits,
 * identifiers, enums (derived from the Avro enums, so the two vocabularies cannot drift) and the
 * nested objects (ICE candidate, track, participant, grants).
 */
import Type, { type Static } from 'typebox';
import {
  LeaveReasonValues,
  MediaTransportValues,
  ParticipantStatusValues,
  PeerSignalKindValues,
  ResumeFailureValues,
  RoomCloseReasonValues,
  SdpTypeValues,
  TrackKindValues,
  TrackSourceValues,
} from '../generated/types.js';

const KiB = 1024;

/** Size and count limits the schemas enforce; docs/protocol.md lists them. */
export const PROTOCOL_LIMITS = {
  /** Default cap on one frame, in UTF-8 bytes (the edge may configure another). */
  frameBytes: 64 * KiB,
  /** Deepest JSON nesting accepted (objects and arrays); the deepest valid message needs 3. */
  nestingDepth: 8,
  requestId: 64,
  room: 128,
  identity: 256,
  name: 256,
  sessionId: 128,
  trackId: 256,
  topic: 256,
  reason: 1024,
  token: 8 * KiB,
  candidate: 2 * KiB,
  sdpMid: 64,
  usernameFragment: 256,
  url: 1024,
  /** Characters (code points), not bytes. */
  sdp: 32 * KiB,
  metadata: 16 * KiB,
  payload: 60 * KiB,
  /** Items in any array. */
  items: 256,
} as const;

/** Lower-cases an Avro enum's symbols for the wire, leaving out the listed ones (reader defaults). */
export function wireEnumValues<const V extends string, const X extends V = never>(
  avroSymbols: readonly V[],
  omit: readonly X[] = [],
): Lowercase<Exclude<V, X>>[] {
  return avroSymbols.filter((s) => !(omit as readonly string[]).includes(s)).map((s) => s.toLowerCase()) as Lowercase<
    Exclude<V, X>
  >[];
}

/** A wire enum value as its Avro symbol (`'end_of_candidates'` → `'END_OF_CANDIDATES'`). */
export function toAvroEnum<const W extends string>(wire: W): Uppercase<W> {
  return wire.toUpperCase() as Uppercase<W>;
}

/** An Avro enum symbol as its wire value (`'CLIENT_LEFT'` → `'client_left'`). */
export function toWireEnum<const A extends string>(avro: A): Lowercase<A> {
  return avro.toLowerCase() as Lowercase<A>;
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** Client request id, echoed in the `ack` or `error` that answers the message. */
export const RequestId = Type.String({
  minLength: 1,
  maxLength: PROTOCOL_LIMITS.requestId,
  description:
    'Client request id (1–64 characters), echoed in the ack or error answering this message; an idempotency key within the session.',
});
export const RoomId = Type.String({
  minLength: 1,
  maxLength: PROTOCOL_LIMITS.room,
  pattern: '^[A-Za-z0-9._~-]+$',
  description: 'Room id: 1–128 characters of A–Z a–z 0–9 . _ ~ -',
});
export const Identity = Type.String({
  minLength: 1,
  maxLength: PROTOCOL_LIMITS.identity,
  description: 'Participant identity (the token subject).',
});
export const SessionId = Type.String({
  minLength: 1,
  maxLength: PROTOCOL_LIMITS.sessionId,
  description: 'Participant session id, assigned by the server on join; survives resume.',
});
export const TrackId = Type.String({
  minLength: 1,
  maxLength: PROTOCOL_LIMITS.trackId,
  description: 'Track id (the MediaStreamTrack id), scoped to its publisher.',
});
export const TrackIds = Type.Array(TrackId, {
  maxItems: PROTOCOL_LIMITS.items,
  description: 'Track ids (at most 256).',
});
export const Sdp = Type.String({
  minLength: 1,
  maxLength: PROTOCOL_LIMITS.sdp,
  description: 'Session description (SDP text).',
});
export const Metadata = Type.String({
  maxLength: PROTOCOL_LIMITS.metadata,
  description: 'Application metadata: an opaque string (often JSON), at most 16 KiB characters.',
});
export const DisplayName = Type.String({ maxLength: PROTOCOL_LIMITS.name, description: 'Display name.' });
export const Reason = Type.String({ maxLength: PROTOCOL_LIMITS.reason, description: 'Human-readable reason.' });
/** Room sequence number: per room, from 1, gap-free, strictly increasing. */
export const Seq = Type.Integer({
  minimum: 0,
  maximum: MAX_SEQ,
  description: 'Room sequence number of the event this message renders.',
});
export const Timestamp = Type.Integer({
  minimum: 0,
  maximum: MAX_SEQ,
  description: 'Milliseconds since the Unix epoch.',
});
export const Millis = Type.Integer({ minimum: 0, maximum: MAX_SEQ, description: 'Duration in milliseconds.' });
/** Opaque heartbeat value echoed by the answering ping/pong. */
export const PingTs = Type.Number({
  description: 'Sender-chosen value (usually its clock in ms), echoed by the answer.',
});

export const WirePeerSignalKind = Type.Enum(wireEnumValues(PeerSignalKindValues, ['UNKNOWN']), {
  description: 'What a signaling message carries.',
});
export type WirePeerSignalKind = Static<typeof WirePeerSignalKind>;
export const WireSdpType = Type.Enum(wireEnumValues(SdpTypeValues, ['UNKNOWN']), {
  description: 'Session description type.',
});
export type WireSdpType = Static<typeof WireSdpType>;
export const WireMediaTransport = Type.Enum(wireEnumValues(MediaTransportValues, ['UNKNOWN']), {
  description:
    "Which of the participant's two SFU connections: publisher (the client offers, sends media) or subscriber (the SFU offers, sends media to the client).",
});
export type WireMediaTransport = Static<typeof WireMediaTransport>;
export const WireTrackKind = Type.Enum(wireEnumValues(TrackKindValues, ['UNKNOWN']), {
  description: 'Audio or video.',
});
export type WireTrackKind = Static<typeof WireTrackKind>;
export const WireTrackSource = Type.Enum(wireEnumValues(TrackSourceValues), {
  description: 'What the track captures.',
});
export type WireTrackSource = Static<typeof WireTrackSource>;
export const WireParticipantStatus = Type.Enum(wireEnumValues(ParticipantStatusValues, ['UNKNOWN']), {
  description:
    'connected, or reconnecting while the server waits for the participant to resume (departure grace period).',
});
export type WireParticipantStatus = Static<typeof WireParticipantStatus>;
export const WireLeaveReason = Type.Enum(wireEnumValues(LeaveReasonValues), {
  description: 'Why the participant left.',
});
export type WireLeaveReason = Static<typeof WireLeaveReason>;
export const WireResumeFailure = Type.Enum([...wireEnumValues(ResumeFailureValues), 'unknown' as const], {
  description: 'Why the resume failed.',
});
export type WireResumeFailure = Static<typeof WireResumeFailure>;
export const WireRoomCloseReason = Type.Enum(wireEnumValues(RoomCloseReasonValues), {
  description: 'Why the room closed.',
});
export type WireRoomCloseReason = Static<typeof WireRoomCloseReason>;

/** RTCIceCandidateInit as JSON (`RTCIceCandidate.toJSON()`), so null members are accepted too. */
export const WireIceCandidate = Type.Object(
  {
    candidate: Type.String({
      maxLength: PROTOCOL_LIMITS.candidate,
      description: 'The candidate-attribute line; empty = end of candidates for this m-line.',
    }),
    sdpMid: Type.Optional(
      Type.Union([Type.String({ maxLength: PROTOCOL_LIMITS.sdpMid }), Type.Null()], {
        description: 'Media stream identification tag.',
      }),
    ),
    sdpMLineIndex: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.Null()], { description: 'Index of the m-line.' }),
    ),
    usernameFragment: Type.Optional(
      Type.Union([Type.String({ maxLength: PROTOCOL_LIMITS.usernameFragment }), Type.Null()], {
        description: 'ICE ufrag.',
      }),
    ),
  },
  { additionalProperties: false, title: 'IceCandidate', description: 'An ICE candidate (RTCIceCandidateInit).' },
);
export type WireIceCandidate = Static<typeof WireIceCandidate>;

/** A track a client announces in `publish`. */
export const WireTrackAnnouncement = Type.Object(
  {
    trackId: TrackId,
    kind: WireTrackKind,
    source: Type.Optional(WireTrackSource),
  },
  { additionalProperties: false, title: 'TrackAnnouncement', description: 'A track the publish offer carries.' },
);
export type WireTrackAnnouncement = Static<typeof WireTrackAnnouncement>;

/** Grant changes an admin sends in `update_permissions` (absent = unchanged). */
export const WireGrantsUpdate = Type.Object(
  {
    canPublish: Type.Optional(Type.Boolean()),
    canSubscribe: Type.Optional(Type.Boolean()),
    canPublishData: Type.Optional(Type.Boolean()),
    roomAdmin: Type.Optional(Type.Boolean()),
    hidden: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'GrantsUpdate',
    description: 'Grants to change; absent ones stay as they are.',
  },
);
export type WireGrantsUpdate = Static<typeof WireGrantsUpdate>;

/** Resume request in `join`. */
export const WireResume = Type.Object(
  {
    sessionId: SessionId,
    lastSeq: Type.Integer({
      minimum: 0,
      maximum: MAX_SEQ,
      description: 'Last room sequence number the client received (0 if none).',
    }),
  },
  {
    additionalProperties: false,
    title: 'ResumeRequest',
    description: 'Resume this session: the server replays every missed event with seq > lastSeq.',
  },
);
export type WireResume = Static<typeof WireResume>;

// Server-side objects: closed to extra fields in the docs, but clients must ignore unknown
// fields (see docs/protocol.md, "Evolution"), so they carry no additionalProperties.

/** A published track as participants see it. */
export const WireTrack = Type.Object(
  {
    trackId: TrackId,
    kind: WireTrackKind,
    source: WireTrackSource,
    muted: Type.Boolean(),
  },
  { title: 'Track', description: 'A published track.' },
);
export type WireTrack = Static<typeof WireTrack>;

/** A participant as others see it. */
export const WireParticipant = Type.Object(
  {
    sessionId: SessionId,
    identity: Identity,
    name: DisplayName,
    metadata: Metadata,
    joinedAt: Timestamp,
    status: WireParticipantStatus,
    tracks: Type.Array(WireTrack, { maxItems: PROTOCOL_LIMITS.items }),
  },
  { title: 'Participant', description: 'A participant of the room.' },
);
export type WireParticipant = Static<typeof WireParticipant>;

/** A participant's complete grants. */
export const WireGrants = Type.Object(
  {
    roomJoin: Type.Boolean(),
    roomAdmin: Type.Boolean(),
    canPublish: Type.Boolean(),
    canSubscribe: Type.Boolean(),
    canPublishData: Type.Boolean(),
    hidden: Type.Boolean(),
  },
  { title: 'Grants', description: 'What a participant may do in the room.' },
);
export type WireGrants = Static<typeof WireGrants>;

/** An ICE server (STUN or TURN with short-lived TURN REST credentials). */
export const WireIceServer = Type.Object(
  {
    urls: Type.Array(Type.String({ maxLength: PROTOCOL_LIMITS.url }), { minItems: 1, maxItems: PROTOCOL_LIMITS.items }),
    username: Type.Optional(Type.String({ description: 'TURN REST username: `expiry:identity`.' })),
    credential: Type.Optional(Type.String({ description: 'TURN REST password: base64(HMAC-SHA1(secret, username)).' })),
  },
  { title: 'IceServer', description: 'An RTCIceServer: STUN, or TURN with short-lived credentials.' },
);
export type WireIceServer = Static<typeof WireIceServer>;

/** Shared named schemas, listed once under components/schemas in the AsyncAPI document. */
export const SHARED_SCHEMAS = {
  IceCandidate: WireIceCandidate,
  TrackAnnouncement: WireTrackAnnouncement,
  GrantsUpdate: WireGrantsUpdate,
  ResumeRequest: WireResume,
  Track: WireTrack,
  Participant: WireParticipant,
  Grants: WireGrants,
  IceServer: WireIceServer,
} as const;
