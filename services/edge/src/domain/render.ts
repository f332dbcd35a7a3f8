/**
 * RoomEvent → client message, for one connection. Pure: everything the rendering depends on (the
 * connection's session, the ICE servers of a `joined`) is passed in. Besides the messages, rendering says how the connection changes: its session id, its grants,
 * whether it left the room, and whether it must now be closed.
 */
import {
  ERROR_CATALOGUE,
  toWireEnum,
  type DeliveryKind,
  type Grants,
  type IceCandidate,
  type ParticipantInfo,
  type RoomEvent,
  type RoomEventBody,
  type ServerMessage,
  type TrackInfo,
  type WireIceCandidate,
  type WireIceServer,
  type WireParticipant,
  type WireParticipantStatus,
  type WireTrack,
} from '@sig/schemas';
import type { ServerCloseCause } from './close.js';

/** The connection the event is rendered for. */
export interface ConnectionView {
  readonly identity: string;
  /** Its session once the room accepted its join (or resume); null before. */
  readonly sessionId: string | null;
}

/** Edge settings echoed in `joined`, and the ICE servers minted for this connection. */
export interface JoinExtras {
  readonly iceServers: readonly WireIceServer[];
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly resumeWindow: { readonly events: number; readonly ms: number };
}

/** What the renderer needs besides the event. */
export interface RenderContext {
  /** Built lazily: only a JoinAccepted needs fresh TURN credentials. */
  readonly joinExtras: () => JoinExtras;
}

/** The effect of one or more events on one connection. */
export interface RenderOutcome {
  readonly messages: ServerMessage[];
  /** The connection's session from now on (set by JoinAccepted and ParticipantResumed). */
  readonly sessionId: string | null;
  /** The room changed this connection's own grants. */
  readonly grants?: Grants;
  /** The connection is no longer in the room: its session ended, or its join/resume was refused. */
  readonly leftRoom: boolean;
  /** Close the connection after sending `messages`. */
  readonly close?: ServerCloseCause;
}

type Body<T extends RoomEventBody['type']> = Extract<RoomEventBody, { type: T }>;
interface Step {
  readonly message?: ServerMessage;
  readonly extra?: ServerMessage;
  readonly sessionId?: string;
  readonly grants?: Grants;
  readonly leftRoom?: boolean;
  readonly close?: ServerCloseCause;
}
type Renderer<T extends RoomEventBody['type']> = (
  body: Body<T>,
  e: RoomEvent,
  view: ConnectionView,
  ctx: RenderContext,
) => Step;

const NOTHING: Step = {};

function wireTrack(t: TrackInfo): WireTrack | null {
  // A kind this reader does not know (a newer writer's symbol resolved to UNKNOWN) has no wire form.
  if (t.kind === 'UNKNOWN') return null;
  return { trackId: t.trackId, kind: toWireEnum(t.kind), source: toWireEnum(t.source), muted: t.muted };
}

function wireStatus(status: ParticipantInfo['status']): WireParticipantStatus {
  return status === 'RECONNECTING' ? 'reconnecting' : 'connected';
}

function wireParticipant(p: ParticipantInfo): WireParticipant {
  return {
    sessionId: p.sessionId,
    identity: p.identity,
    name: p.name,
    metadata: p.metadata,
    joinedAt: p.joinedAt,
    status: wireStatus(p.status),
    tracks: p.tracks.map(wireTrack).filter((t): t is WireTrack => t !== null),
  };
}

function wireCandidate(c: IceCandidate): WireIceCandidate {
  return {
    candidate: c.candidate,
    sdpMid: c.sdpMid,
    sdpMLineIndex: c.sdpMLineIndex,
    usernameFragment: c.usernameFragment,
  };
}

/** Optional fields of a signal: present only when the event carries them. */
function signalPayload(
  sdp: string | null,
  candidate: IceCandidate | null,
): { sdp?: string; candidate?: WireIceCandidate } {
  return { ...(sdp === null ? {} : { sdp }), ...(candidate === null ? {} : { candidate: wireCandidate(candidate) }) };
}

const isSelf = (view: ConnectionView, sessionId: string): boolean =>
  view.sessionId !== null && view.sessionId === sessionId;

/** Close cause when the connection's own session left the room. */
function ownLeaveClose(reason: Body<'ParticipantLeft'>['reason']): ServerCloseCause {
  switch (reason) {
    case 'KICKED':
      return 'kicked';
    case 'REPLACED':
      return 'replaced';
    case 'TOKEN_EXPIRED':
      return 'token_expired';
    default:
      return 'session_ended';
  }
}

const RENDERERS: { readonly [T in RoomEventBody['type']]: Renderer<T> } = {
  RoomOpened: () => NOTHING,
  SfuAssigned: () => NOTHING,
  SfuReleased: () => NOTHING,
  RoomClosed: (b, e) => ({
    message: { type: 'room_closed', seq: e.seq, reason: toWireEnum(b.reason) },
    leftRoom: true,
    close: 'room_closed',
  }),
  RoomMetadataChanged: (b, e) => ({ message: { type: 'room_updated', seq: e.seq, metadata: b.metadata } }),
  ParticipantJoined: (b, e) => ({
    message: { type: 'participant_joined', seq: e.seq, participant: wireParticipant(b.participant) },
  }),
  JoinAccepted: (b, e, _view, ctx) => {
    const extras = ctx.joinExtras();
    return {
      message: {
        type: 'joined',
        seq: e.seq,
        room: e.room,
        sessionId: b.self.sessionId,
        self: wireParticipant(b.self),
        participants: b.participants.map(wireParticipant),
        roomMetadata: b.roomMetadata,
        iceServers: [...extras.iceServers],
        heartbeat: { ...extras.heartbeat },
        resumeWindow: { ...extras.resumeWindow },
      },
      sessionId: b.self.sessionId,
    };
  },
  ParticipantResumed: (b, e) => ({
    message: { type: 'resumed', seq: e.seq, sessionId: b.sessionId, replayed: 0 },
    sessionId: b.sessionId,
  }),
  ResumeRejected: (b, e) => ({
    message: { type: 'resume_failed', seq: e.seq, sessionId: b.sessionId, reason: toWireEnum(b.reason) },
    leftRoom: true,
  }),
  ParticipantConnectionChanged: (b, e) => {
    if (b.status === 'UNKNOWN') return NOTHING;
    return {
      message: {
        type: 'participant_updated',
        seq: e.seq,
        sessionId: b.sessionId,
        identity: b.identity,
        status: wireStatus(b.status),
      },
    };
  },
  ParticipantLeft: (b, e, view) => {
    const message: ServerMessage = {
      type: 'participant_left',
      seq: e.seq,
      sessionId: b.sessionId,
      identity: b.identity,
      reason: toWireEnum(b.reason),
    };
    if (!isSelf(view, b.sessionId)) return { message };
    const close = ownLeaveClose(b.reason);
    const extra: ServerMessage | undefined =
      close === 'kicked' ? { type: 'notice', kind: 'kicked', reason: 'removed from the room by an admin' } : undefined;
    return { message, ...(extra ? { extra } : {}), leftRoom: true, close };
  },
  ParticipantUpdated: (b, e, view) => {
    const message: ServerMessage = {
      type: 'participant_updated',
      seq: e.seq,
      sessionId: b.sessionId,
      identity: b.identity,
      ...(b.name === null ? {} : { name: b.name }),
      ...(b.metadata === null ? {} : { metadata: b.metadata }),
      ...(b.grants === null ? {} : { grants: { ...b.grants } }),
    };
    return { message, ...(b.grants !== null && isSelf(view, b.sessionId) ? { grants: b.grants } : {}) };
  },
  TrackPublished: (b, e) => {
    const track = wireTrack(b.track);
    if (track === null) return NOTHING;
    return { message: { type: 'track_published', seq: e.seq, sessionId: b.sessionId, identity: b.identity, track } };
  },
  TrackUnpublished: (b, e) => ({
    message: { type: 'track_unpublished', seq: e.seq, sessionId: b.sessionId, trackId: b.trackId },
  }),
  TrackMuted: (b, e) => ({
    message: { type: 'track_muted', seq: e.seq, sessionId: b.sessionId, trackId: b.trackId, muted: b.muted, by: b.by },
  }),
  PeerSignalRelayed: (b, e) => {
    if (b.kind === 'UNKNOWN') return NOTHING;
    return {
      message: {
        type: 'signal',
        seq: e.seq,
        from: b.fromIdentity,
        fromSessionId: b.from,
        kind: toWireEnum(b.kind),
        ...signalPayload(b.sdp, b.candidate),
      },
    };
  },
  DataRelayed: (b, e) => ({
    message: {
      type: 'data',
      seq: e.seq,
      from: b.fromIdentity,
      fromSessionId: b.from,
      payload: b.payload,
      ...(b.topic === null ? {} : { topic: b.topic }),
    },
  }),
  MediaSignal: (b, e) => {
    // A kind or transport this reader does not know cannot be applied by the client: not sent.
    if (b.kind === 'UNKNOWN' || b.transport === 'UNKNOWN') return NOTHING;
    return {
      message: {
        type: 'media_signal',
        seq: e.seq,
        transport: toWireEnum(b.transport),
        kind: toWireEnum(b.kind),
        ...signalPayload(b.sdp, b.candidate),
      },
    };
  },
  SubscriptionChanged: (b, e) => ({ message: { type: 'subscription_changed', seq: e.seq, trackIds: [...b.trackIds] } }),
  MediaReset: (b, e) => ({ message: { type: 'media_reset', seq: e.seq, reason: b.reason } }),
  CommandRejected: (b, e, view) => {
    const requestId = e.causation?.requestId ?? null;
    const message: ServerMessage = {
      type: 'error',
      ...(requestId === null ? {} : { id: requestId }),
      code: b.code,
      message: b.message,
      retriable: ERROR_CATALOGUE[b.code].retriable,
      seq: e.seq,
    };
    // A refused join leaves the connection free to join again (e.g. after room_full).
    return { message, leftRoom: b.commandType === 'Join' && view.sessionId === null };
  },
};

/**
 * Renders the events of one delivery, in order, for one connection. In a RESUME delivery the
 * missed events come first and `resumed` last, with `replayed` = how many were sent before it.
 * Rendering stops at the first event that closes the connection.
 */
export function renderDelivery(
  events: readonly RoomEvent[],
  kind: DeliveryKind,
  start: ConnectionView,
  ctx: RenderContext,
): RenderOutcome {
  const messages: ServerMessage[] = [];
  let view = start;
  let grants: Grants | undefined;
  let leftRoom = false;
  let replayed = 0;
  for (const event of events) {
    const render = RENDERERS[event.body.type] as Renderer<RoomEventBody['type']>;
    const step = render(event.body, event, view, ctx);
    let message = step.message;
    if (message?.type === 'resumed') message = { ...message, replayed: kind === 'RESUME' ? replayed : 0 };
    if (message) {
      messages.push(message);
      replayed++;
    }
    if (step.extra) messages.push(step.extra);
    if (step.sessionId !== undefined) {
      view = { ...view, sessionId: step.sessionId };
      leftRoom = false;
    }
    if (step.grants) grants = step.grants;
    if (step.leftRoom) {
      leftRoom = true;
      view = { ...view, sessionId: null };
    }
    if (step.close)
      return { messages, sessionId: view.sessionId, leftRoom, close: step.close, ...(grants ? { grants } : {}) };
  }
  return { messages, sessionId: view.sessionId, leftRoom, ...(grants ? { grants } : {}) };
}
