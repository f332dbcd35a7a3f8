/**
 * Client → server messages. Each is a closed JSON object (`additionalProperties: false`, at every
 * level): an unknown field is an error, never silently dropped, and no key outside the schema
 * (`__proto__`, `constructor`…) survives validation.
 */
import Type, { type Static, type TProperties } from 'typebox';
import {
  DisplayName,
  Identity,
  Metadata,
  WireMediaTransport,
  WirePeerSignalKind,
  PingTs,
  PROTOCOL_LIMITS,
  RequestId,
  RoomId,
  Sdp,
  WireSdpType,
  TrackId,
  TrackIds,
  WireGrantsUpdate,
  WireIceCandidate,
  WireResume,
  WireTrackAnnouncement,
} from './common.js';

/**
 * A cross-field rule, as JSON Schema `if`/`then`: the AsyncAPI document shows it and the validator
 * enforces it; `description` is both its documentation and the error message when it fails.
 */
export interface FieldRule {
  readonly if: object;
  readonly then: object;
  readonly description: string;
}

function clientMessage<const T extends string, const P extends TProperties>(
  type: T,
  properties: P,
  description: string,
  rules: readonly FieldRule[] = [],
) {
  return Type.Object(
    { type: Type.Literal(type), id: Type.Optional(RequestId), ...properties },
    { additionalProperties: false, title: type, description, ...(rules.length > 0 ? { allOf: rules } : {}) },
  );
}

const absent = (...names: string[]) => ({ not: { anyOf: names.map((n) => ({ required: [n] })) } });

/** What each kind of signal must carry (shared by `signal`). */
const SIGNAL_RULES: readonly FieldRule[] = [
  {
    if: { properties: { kind: { enum: ['offer', 'answer'] } } },
    then: { required: ['sdp'], ...absent('candidate') },
    description: "kind 'offer' and 'answer' require sdp and no candidate",
  },
  {
    if: { properties: { kind: { const: 'candidate' } } },
    then: { required: ['candidate'], ...absent('sdp') },
    description: "kind 'candidate' requires candidate and no sdp",
  },
  {
    if: { properties: { kind: { const: 'end_of_candidates' } } },
    then: absent('sdp', 'candidate'),
    description: "kind 'end_of_candidates' carries neither sdp nor candidate",
  },
];

const emptyProperties = {};

export const ClientJoin = clientMessage(
  'join',
  {
    room: RoomId,
    metadata: Type.Optional(Metadata),
    resume: Type.Optional(WireResume),
  },
  'Join the room (the token must grant it), or resume a session after a lost connection. Answered by `joined`, or by the missed events then `resumed`, or by `resume_failed`.',
);
export type ClientJoin = Static<typeof ClientJoin>;

export const ClientLeave = clientMessage(
  'leave',
  emptyProperties,
  'Leave the room; the server closes the socket with 1000 afterwards.',
);
export type ClientLeave = Static<typeof ClientLeave>;

export const ClientSignal = clientMessage(
  'signal',
  {
    to: Identity,
    kind: WirePeerSignalKind,
    sdp: Type.Optional(Sdp),
    candidate: Type.Optional(WireIceCandidate),
  },
  'P2P signaling relayed to another participant: `sdp` is required for offer/answer, `candidate` for candidate; end_of_candidates carries neither.',
  SIGNAL_RULES,
);
export type ClientSignal = Static<typeof ClientSignal>;

export const ClientPublish = clientMessage(
  'publish',
  {
    sdp: Sdp,
    tracks: Type.Array(WireTrackAnnouncement, { minItems: 1, maxItems: PROTOCOL_LIMITS.items }),
  },
  'Publish tracks through the SFU: the SDP offer of the SFU connection and the tracks it carries. The answer arrives as `media_signal`.',
);
export type ClientPublish = Static<typeof ClientPublish>;

export const ClientUnpublish = clientMessage('unpublish', { trackIds: TrackIds }, 'Stop publishing these tracks.');
export type ClientUnpublish = Static<typeof ClientUnpublish>;

export const ClientSubscribe = clientMessage(
  'subscribe',
  { trackIds: TrackIds },
  'Receive these tracks of other participants through the SFU (server-driven renegotiation follows as `media_signal`).',
);
export type ClientSubscribe = Static<typeof ClientSubscribe>;

export const ClientUnsubscribe = clientMessage('unsubscribe', { trackIds: TrackIds }, 'Stop receiving these tracks.');
export type ClientUnsubscribe = Static<typeof ClientUnsubscribe>;

/** Which SDP each SFU connection carries from the client (offer/answer glare is impossible). */
const MEDIA_SDP_RULES: readonly FieldRule[] = [
  {
    if: { properties: { transport: { const: 'publisher' } } },
    then: { properties: { sdpType: { const: 'offer' } } },
    description: "transport 'publisher' carries the client's offer",
  },
  {
    if: { properties: { transport: { const: 'subscriber' } } },
    then: { properties: { sdpType: { const: 'answer' } } },
    description: "transport 'subscriber' carries the client's answer",
  },
];

export const ClientMediaSdp = clientMessage(
  'media_sdp',
  { transport: WireMediaTransport, sdpType: WireSdpType, sdp: Sdp },
  "Renegotiation of an SFU connection: a new offer on the publisher connection, or the answer to the SFU's offer on the subscriber connection.",
  MEDIA_SDP_RULES,
);
export type ClientMediaSdp = Static<typeof ClientMediaSdp>;

export const ClientMediaCandidate = clientMessage(
  'media_candidate',
  {
    transport: WireMediaTransport,
    candidate: Type.Union([WireIceCandidate, Type.Null()], { description: 'The candidate; null = end of candidates.' }),
  },
  'A trickled ICE candidate of one of the SFU connections (null = end of candidates).',
);
export type ClientMediaCandidate = Static<typeof ClientMediaCandidate>;

export const ClientRestartIce = clientMessage(
  'restart_ice',
  emptyProperties,
  'Ask the SFU for an ICE restart (after a network change); the new offer arrives as `media_signal`.',
);
export type ClientRestartIce = Static<typeof ClientRestartIce>;

export const ClientData = clientMessage(
  'data',
  {
    payload: Type.String({
      maxLength: PROTOCOL_LIMITS.payload,
      description: 'Application payload (text, at most 60 KiB characters).',
    }),
    to: Type.Optional(
      Type.Array(Identity, {
        maxItems: PROTOCOL_LIMITS.items,
        description: 'Recipient identities; absent or empty = everyone else in the room.',
      }),
    ),
    topic: Type.Optional(Type.String({ maxLength: PROTOCOL_LIMITS.topic, description: 'Application topic.' })),
  },
  'A data message to the room, or to the listed participants (requires canPublishData).',
);
export type ClientData = Static<typeof ClientData>;

export const ClientUpdateMetadata = clientMessage(
  'update_metadata',
  { name: Type.Optional(DisplayName), metadata: Type.Optional(Metadata) },
  "Change one's own display name and/or metadata.",
);
export type ClientUpdateMetadata = Static<typeof ClientUpdateMetadata>;

export const ClientKick = clientMessage('kick', { identity: Identity }, 'Admin: remove a participant from the room.');
export type ClientKick = Static<typeof ClientKick>;

export const ClientMuteTrack = clientMessage(
  'mute_track',
  { identity: Identity, trackId: TrackId, muted: Type.Boolean() },
  "Mute or unmute a published track: one's own, or anyone's with roomAdmin.",
);
export type ClientMuteTrack = Static<typeof ClientMuteTrack>;

export const ClientUpdatePermissions = clientMessage(
  'update_permissions',
  { identity: Identity, grants: WireGrantsUpdate },
  "Admin: change another participant's grants.",
);
export type ClientUpdatePermissions = Static<typeof ClientUpdatePermissions>;

export const ClientUpdateRoomMetadata = clientMessage(
  'update_room_metadata',
  { metadata: Metadata },
  "Admin: change the room's metadata.",
);
export type ClientUpdateRoomMetadata = Static<typeof ClientUpdateRoomMetadata>;

export const ClientPing = clientMessage(
  'ping',
  { ts: PingTs },
  'Application-level ping; the server answers `pong` with the same ts.',
);
export type ClientPing = Static<typeof ClientPing>;

export const ClientPong = clientMessage('pong', { ts: PingTs }, 'Answer to a server `ping`, echoing its ts.');
export type ClientPong = Static<typeof ClientPong>;

export const ClientRefreshToken = clientMessage(
  'refresh_token',
  {
    token: Type.String({
      minLength: 1,
      maxLength: PROTOCOL_LIMITS.token,
      description: 'A fresh access token (JWT) for the same identity and room.',
    }),
  },
  'Replace the access token before it expires (see the token_expiring notice).',
);
export type ClientRefreshToken = Static<typeof ClientRefreshToken>;

/** Every client message schema by its `type`; the order is the documentation's. */
export const ClientMessageSchemas = {
  join: ClientJoin,
  leave: ClientLeave,
  signal: ClientSignal,
  publish: ClientPublish,
  unpublish: ClientUnpublish,
  subscribe: ClientSubscribe,
  unsubscribe: ClientUnsubscribe,
  media_sdp: ClientMediaSdp,
  media_candidate: ClientMediaCandidate,
  restart_ice: ClientRestartIce,
  data: ClientData,
  update_metadata: ClientUpdateMetadata,
  kick: ClientKick,
  mute_track: ClientMuteTrack,
  update_permissions: ClientUpdatePermissions,
  update_room_metadata: ClientUpdateRoomMetadata,
  ping: ClientPing,
  pong: ClientPong,
  refresh_token: ClientRefreshToken,
} as const;

/** A client message `type`. */
export type ClientMessageType = keyof typeof ClientMessageSchemas;

/** Every client message type, in documentation order. */
export const CLIENT_MESSAGE_TYPES = Object.keys(ClientMessageSchemas) as readonly ClientMessageType[];

/** Any client → server message, discriminated by `type`. */
export type ClientMessage = { [K in ClientMessageType]: Static<(typeof ClientMessageSchemas)[K]> }[ClientMessageType];

/** The client message of a given type. */
export type ClientMessageOf<K extends ClientMessageType> = Extract<ClientMessage, { type: K }>;
