/**
 * Access-token claims (LiveKit-like) and the grant checks the edge applies before logging a
 * message. The projector checks grants again against room state; the edge checks first so that a
 * message the token could never allow is refused at once and never reaches the log.
 */
import type { ClientMessage, ErrorCode, Grants } from '@sig/schemas';

/** The `video` claim: which room the token grants and what it may do there. */
export interface VideoGrant {
  /** Room name, `*` for any room, or null when the token names no room (it can join none). */
  readonly room: string | null;
  readonly roomJoin: boolean;
  readonly roomAdmin: boolean;
  readonly canPublish: boolean;
  readonly canSubscribe: boolean;
  readonly canPublishData: boolean;
  readonly hidden: boolean;
}

/** What a verified token says about its bearer. */
export interface TokenClaims {
  /** `sub`. */
  readonly identity: string;
  /** `name`, or the identity when absent. */
  readonly name: string;
  readonly metadata: string;
  /** `exp` in milliseconds. */
  readonly expiresAt: number;
  readonly video: VideoGrant;
}

const MAX_IDENTITY = 256;
const MAX_NAME = 256;
const MAX_METADATA = 16 * 1024;
const MAX_ROOM = 128;

/**
 * Reads the claims of a token whose signature and time claims were already verified. Returns the
 * problem as a string when a claim is malformed. Defaults follow LiveKit: publishing, subscribing
 * and data are allowed unless the token says otherwise; join, admin and hidden must be granted.
 */
export function parseClaims(payload: Readonly<Record<string, unknown>>): TokenClaims | string {
  const sub = payload['sub'];
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_IDENTITY) return 'the token has no valid "sub"';
  const exp = payload['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'the token has no "exp"';
  const name = payload['name'] ?? sub;
  if (typeof name !== 'string' || name.length > MAX_NAME) return 'the token "name" is not a string';
  const metadata = payload['metadata'] ?? '';
  if (typeof metadata !== 'string' || metadata.length > MAX_METADATA) return 'the token "metadata" is not a string';
  const video = parseVideo(payload['video']);
  if (typeof video === 'string') return video;
  return { identity: sub, name, metadata, expiresAt: exp * 1000, video };
}

function parseVideo(raw: unknown): VideoGrant | string {
  if (raw === undefined || raw === null) {
    return {
      room: null,
      roomJoin: false,
      roomAdmin: false,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      hidden: false,
    };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'the token "video" claim is not an object';
  const v = raw as Record<string, unknown>;
  const room = v['room'] ?? null;
  if (room !== null && (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM))
    return 'the token "video.room" is not a room name';
  const flag = (key: string, fallback: boolean): boolean | string => {
    const value = v[key] ?? fallback;
    return typeof value === 'boolean' ? value : `the token "video.${key}" is not a boolean`;
  };
  const flags = {
    roomJoin: flag('roomJoin', false),
    roomAdmin: flag('roomAdmin', false),
    canPublish: flag('canPublish', true),
    canSubscribe: flag('canSubscribe', true),
    canPublishData: flag('canPublishData', true),
    hidden: flag('hidden', false),
  };
  for (const value of Object.values(flags)) if (typeof value === 'string') return value;
  return { room, ...(flags as { [K in keyof typeof flags]: boolean }) };
}

/** Whether the grant covers `room`. */
export function roomGranted(video: VideoGrant, room: string): boolean {
  return video.room === '*' || video.room === room;
}

/** The grants for one room, as logged in every command's source. Nothing is granted in another room. */
export function grantsForRoom(video: VideoGrant, room: string): Grants {
  const inRoom = roomGranted(video, room);
  return {
    roomJoin: inRoom && video.roomJoin,
    roomAdmin: inRoom && video.roomAdmin,
    canPublish: inRoom && video.canPublish,
    canSubscribe: inRoom && video.canSubscribe,
    canPublishData: inRoom && video.canPublishData,
    hidden: inRoom && video.hidden,
  };
}

/** A refusal before logging: a stable code and a message for the client. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Where the connection stands with respect to rooms. */
export interface RoomContext {
  readonly identity: string;
  /** The room the connection joined (or is joining), or null. */
  readonly room: string | null;
  /** The room fixed by `?room=` at the upgrade, if any. */
  readonly upgradeRoom: string | null;
  /** Grants the connection holds now (the token's, updated by the room's ParticipantUpdated). */
  readonly video: VideoGrant;
}

const missing = (grant: string): Refusal => ({
  code: 'not_allowed',
  message: `this action requires the "${grant}" grant`,
});

/**
 * Checks a logged client message against the connection's room state and grants; null = allowed.
 * Edge-local messages (ping, pong, refresh_token) never reach this check.
 */
export function checkMessage(msg: ClientMessage, ctx: RoomContext): Refusal | null {
  if (msg.type === 'join') {
    if (ctx.room !== null)
      return { code: 'already_joined', message: `this connection already joined room "${ctx.room}"` };
    if (ctx.upgradeRoom !== null && msg.room !== ctx.upgradeRoom) {
      return { code: 'forbidden', message: `this connection was opened for room "${ctx.upgradeRoom}"` };
    }
    if (!roomGranted(ctx.video, msg.room))
      return { code: 'forbidden', message: `the token does not grant room "${msg.room}"` };
    return ctx.video.roomJoin ? null : missing('roomJoin');
  }
  if (ctx.room === null) return { code: 'not_in_room', message: 'send join first' };
  switch (msg.type) {
    case 'publish':
      return ctx.video.canPublish ? null : missing('canPublish');
    case 'subscribe':
      return ctx.video.canSubscribe ? null : missing('canSubscribe');
    case 'data':
      return ctx.video.canPublishData ? null : missing('canPublishData');
    case 'kick':
    case 'update_permissions':
    case 'update_room_metadata':
      return ctx.video.roomAdmin ? null : missing('roomAdmin');
    case 'mute_track':
      // Muting one's own track needs no grant; anyone else's needs roomAdmin.
      return msg.identity === ctx.identity || ctx.video.roomAdmin ? null : missing('roomAdmin');
    default:
      return null;
  }
}

/** The connection's grants after the room changed them (a ParticipantUpdated about its own session). */
export function applyGrants(video: VideoGrant, grants: Grants): VideoGrant {
  return {
    room: video.room,
    roomJoin: grants.roomJoin,
    roomAdmin: grants.roomAdmin,
    canPublish: grants.canPublish,
    canSubscribe: grants.canSubscribe,
    canPublishData: grants.canPublishData,
    hidden: grants.hidden,
  };
}
