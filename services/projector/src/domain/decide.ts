import type {
  ClientSource,
  Command,
  CommandBody,
  CommandSource,
  ConnectionRef,
  Grants,
  ParticipantInfo,
  TrackRef,
} from '@sig/schemas';
import { DecisionBuilder, type Decision } from './decision.js';
import { isDuplicateRequest } from './requests.js';
import {
  participantByConnection,
  participantByIdentity,
  scopedTrackId,
  type ParticipantState,
  type RoomConfig,
  type RoomState,
} from './state.js';

/** Settings the decider needs; passed in, never read from the environment. */
export interface DeciderConfig {
  /** Limits of newly opened rooms. */
  readonly room: RoomConfig;
  /** How many recent events per room stay available for resume. */
  readonly resumeWindowEvents: number;
}

type Body<T extends CommandBody['type']> = Extract<CommandBody, { type: T }>;
interface BaseCtx {
  readonly d: DecisionBuilder;
  readonly cmd: Command;
  readonly config: DeciderConfig;
}
interface Ctx<T extends CommandBody['type']> extends BaseCtx {
  readonly body: Body<T>;
}
type Handler<T extends CommandBody['type']> = (ctx: Ctx<T>) => void;

/**
 * Decides what a command means for a room: the events it produces (or its rejection) and the
 * media commands it implies. Pure: no I/O, no clock (`command.receivedAt` is "now").
 */
export function decide(command: Command, state: RoomState, config: DeciderConfig): Decision {
  const d = new DecisionBuilder(state, command);
  // A retry of a request already decided (the client was not told it was logged) is decided once:
  // its outcome was addressed to the session then, live or in the replay of a resume.
  if (isDuplicateRequest(state, command)) return d.markDuplicate().build();
  const expected = SOURCE_OF[command.body.type];
  if (command.source.type !== expected) {
    // Only a Kafka writer can forge this (edges write client bodies, SFU workers Sfu* bodies, the
    // projector timers); refusing it keeps a compromised writer from speaking as another component.
    d.reject('bad_request', `${command.body.type} is only accepted from a ${expected}`);
    return d.build();
  }
  const handler = HANDLERS[command.body.type] as Handler<CommandBody['type']>;
  handler({ d, cmd: command, body: command.body, config });
  return d.build();
}

// ---- helpers ---------------------------------------------------------------------------

function clientSource(ctx: BaseCtx): ClientSource | null {
  return ctx.cmd.source.type === 'ClientSource' ? ctx.cmd.source : null;
}

/** The sending participant, or null after telling the sender it is not in the room. */
function sender(ctx: BaseCtx): ParticipantState | null {
  const src = clientSource(ctx);
  if (!src) return null;
  const p = participantByConnection(ctx.d.state, src.edgeId, src.connectionId);
  if (!p) ctx.d.reject('not_in_room', 'this connection has not joined the room');
  return p ?? null;
}

function connectionOf(src: ClientSource): ConnectionRef {
  return { edgeId: src.edgeId, replySlot: src.replySlot, connectionId: src.connectionId };
}

function info(p: ParticipantState): ParticipantInfo {
  return {
    sessionId: p.sessionId,
    identity: p.identity,
    name: p.name,
    metadata: p.metadata,
    joinedAt: p.joinedAt,
    tracks: p.tracks,
    status: p.status,
  };
}

/** Audience for a fact about `p`: everyone else, or nobody when `p` is hidden. */
function othersAbout(p: ParticipantState, alsoSelf = false) {
  if (p.grants.hidden)
    return alsoSelf
      ? { type: 'AudienceSessions' as const, sessionIds: [p.sessionId] }
      : { type: 'AudienceNone' as const };
  return { type: 'AudienceRoom' as const, exclude: alsoSelf ? [] : [p.sessionId] };
}

const self = (p: ParticipantState) => ({ type: 'AudienceSessions' as const, sessionIds: [p.sessionId] });

function isAdmin(p: ParticipantState): boolean {
  return p.grants.roomAdmin;
}

/** Oldest sequence number still in the resume window. */
function windowStart(state: RoomState, config: DeciderConfig): number {
  return Math.max(1, state.seq - config.resumeWindowEvents + 1);
}

/** Subscribe every eligible participant to `tracks` of `publisher` (auto-subscribe). */
function autoSubscribe(ctx: BaseCtx, publisher: ParticipantState, trackIds: readonly string[]): void {
  for (const p of ctx.d.state.participants.values()) {
    if (p.sessionId === publisher.sessionId || !p.grants.canSubscribe) continue;
    const scoped = trackIds
      .map((t) => scopedTrackId(publisher.sessionId, t))
      .filter((t) => !p.subscriptions.includes(t));
    if (scoped.length === 0) continue;
    ctx.d.emit(
      { type: 'SubscriptionChanged', sessionId: p.sessionId, trackIds: [...p.subscriptions, ...scoped] },
      self(p),
    );
    ctx.d.toMedia(p.sessionId, { type: 'SubscribeTracks', tracks: scoped.map(toTrackRef) });
  }
}

function toTrackRef(scoped: string): TrackRef {
  const i = scoped.indexOf('/');
  return { publisherSessionId: scoped.slice(0, i), trackId: scoped.slice(i + 1) };
}

function leave(
  ctx: BaseCtx,
  p: ParticipantState,
  reason: 'CLIENT_LEFT' | 'DEPARTURE_TIMEOUT' | 'KICKED' | 'REPLACED',
): void {
  // The leaver itself is told too (kicked/replaced clients learn why), unless it is already gone.
  ctx.d.emit({ type: 'ParticipantLeft', sessionId: p.sessionId, identity: p.identity, reason }, othersAbout(p, true));
  if (p.tracks.length > 0 || p.subscriptions.length > 0)
    ctx.d.toMedia(p.sessionId, { type: 'CloseSession', reason: reason.toLowerCase() });
}

// ---- handlers --------------------------------------------------------------------------

const join: Handler<'Join'> = (ctx) => {
  const src = clientSource(ctx);
  if (!src) return;
  const { d, body, config } = ctx;
  if (!src.grants.roomJoin) return void d.reject('not_allowed', 'the token does not grant joining this room');
  const existing = participantByConnection(d.state, src.edgeId, src.connectionId);
  if (existing) return void d.reject('already_joined', 'this connection already joined the room');

  if (body.resume) return resume(ctx, src, body.resume.sessionId, body.resume.lastSeq);

  const previous = participantByIdentity(d.state, src.identity);
  const others = d.state.participants.size - (previous ? 1 : 0);
  const max = d.state.config?.maxParticipants ?? config.room.maxParticipants;
  if (others >= max) return void d.reject('room_full', `the room is full (${max} participants)`);

  if (d.state.phase !== 'open') d.emit({ type: 'RoomOpened', ...config.room }, { type: 'AudienceNone' });
  if (previous) leave(ctx, previous, 'REPLACED');

  const participant: ParticipantInfo = {
    sessionId: `PA_${ctx.cmd.commandId}`,
    identity: src.identity,
    name: src.name,
    metadata: body.metadata,
    joinedAt: ctx.cmd.receivedAt,
    tracks: [],
    status: 'CONNECTED',
  };
  const joined = { type: 'ParticipantJoined' as const, participant, grants: src.grants, connection: connectionOf(src) };
  d.actingAs(participant.sessionId).emit(
    joined,
    src.grants.hidden ? { type: 'AudienceNone' } : { type: 'AudienceRoom', exclude: [] },
  );
  const visible = [...d.state.participants.values()].filter(
    (p) => p.sessionId !== participant.sessionId && !p.grants.hidden,
  );
  d.emit(
    {
      type: 'JoinAccepted',
      self: participant,
      participants: visible.map(info),
      roomMetadata: d.state.metadata,
      replaced: previous?.sessionId ?? null,
    },
    { type: 'AudienceSessions', sessionIds: [participant.sessionId] },
  );
  // A newcomer receives what is already published.
  if (src.grants.canSubscribe) {
    const scoped = visible.flatMap((p) => p.tracks.map((t) => scopedTrackId(p.sessionId, t.trackId)));
    if (scoped.length > 0) {
      d.emit(
        { type: 'SubscriptionChanged', sessionId: participant.sessionId, trackIds: scoped },
        { type: 'AudienceSessions', sessionIds: [participant.sessionId] },
      );
      d.toMedia(participant.sessionId, { type: 'SubscribeTracks', tracks: scoped.map(toTrackRef) });
    }
  }
};

function resume(ctx: Ctx<'Join'>, src: ClientSource, sessionId: string, lastSeq: number): void {
  const { d, config } = ctx;
  const p = d.state.participants.get(sessionId);
  const connection = { type: 'AudienceConnection' as const, connection: connectionOf(src) };
  const fail = (reason: 'UNKNOWN_SESSION' | 'IDENTITY_MISMATCH' | 'WINDOW_EXCEEDED') => {
    d.emit({ type: 'ResumeRejected', sessionId, reason }, connection);
  };
  if (!p) return fail('UNKNOWN_SESSION');
  if (p.identity !== src.identity) return fail('IDENTITY_MISMATCH');
  if (lastSeq > d.state.seq || lastSeq + 1 < windowStart(d.state, config)) return fail('WINDOW_EXCEEDED');
  const wasReconnecting = p.status === 'RECONNECTING';
  d.actingAs(sessionId).emit(
    { type: 'ParticipantResumed', sessionId, connection: connectionOf(src), lastSeq },
    connection,
  );
  if (wasReconnecting) {
    d.emit(
      { type: 'ParticipantConnectionChanged', sessionId, identity: p.identity, status: 'CONNECTED', reason: 'UNKNOWN' },
      othersAbout(p),
    );
  }
}

const leaveHandler: Handler<'Leave'> = (ctx) => {
  const p = sender(ctx);
  if (p) leave(ctx, p, 'CLIENT_LEFT');
};

const peerSignal: Handler<'PeerSignal'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  const target = participantByIdentity(ctx.d.state, ctx.body.to);
  if (!target || target.sessionId === p.sessionId)
    return void ctx.d.reject('participant_not_found', `no participant '${ctx.body.to}' in the room`);
  const { kind, sdp, candidate } = ctx.body;
  if ((kind === 'OFFER' || kind === 'ANSWER') && !sdp)
    return void ctx.d.reject('invalid_sdp', `${kind.toLowerCase()} without sdp`);
  if (kind === 'CANDIDATE' && !candidate)
    return void ctx.d.reject('invalid_candidate', 'candidate message without candidate');
  ctx.d.emit(
    {
      type: 'PeerSignalRelayed',
      from: p.sessionId,
      fromIdentity: p.identity,
      to: target.sessionId,
      kind,
      sdp,
      candidate,
    },
    self(target),
  );
};

const sendData: Handler<'SendData'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  if (!p.grants.canPublishData) return void ctx.d.reject('not_allowed', 'the token does not grant sending data');
  const body = {
    type: 'DataRelayed' as const,
    from: p.sessionId,
    fromIdentity: p.identity,
    payload: ctx.body.payload,
    topic: ctx.body.topic,
  };
  if (ctx.body.to.length === 0) return void ctx.d.emit(body, { type: 'AudienceRoom', exclude: [p.sessionId] });
  const targets: string[] = [];
  for (const identity of ctx.body.to) {
    const t = participantByIdentity(ctx.d.state, identity);
    if (!t) return void ctx.d.reject('participant_not_found', `no participant '${identity}' in the room`);
    if (t.sessionId !== p.sessionId && !targets.includes(t.sessionId)) targets.push(t.sessionId);
  }
  ctx.d.emit(body, { type: 'AudienceSessions', sessionIds: targets });
};

const updateMetadata: Handler<'UpdateMetadata'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  ctx.d.emit(
    {
      type: 'ParticipantUpdated',
      sessionId: p.sessionId,
      identity: p.identity,
      name: ctx.body.name,
      metadata: ctx.body.metadata,
      grants: null,
    },
    othersAbout(p, true),
  );
};

/** An admin action on another participant: checks the grant and finds the target. */
function adminTarget(ctx: BaseCtx, identity: string): ParticipantState | null {
  const p = sender(ctx);
  if (!p) return null;
  if (!isAdmin(p)) {
    ctx.d.reject('not_allowed', 'this action needs the roomAdmin grant');
    return null;
  }
  const target = participantByIdentity(ctx.d.state, identity);
  if (!target) ctx.d.reject('participant_not_found', `no participant '${identity}' in the room`);
  return target ?? null;
}

const kick: Handler<'KickParticipant'> = (ctx) => {
  const target = adminTarget(ctx, ctx.body.identity);
  if (target) leave(ctx, target, 'KICKED');
};

const muteTrack: Handler<'MuteTrack'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  const owner = participantByIdentity(ctx.d.state, ctx.body.identity);
  if (!owner) return void ctx.d.reject('participant_not_found', `no participant '${ctx.body.identity}' in the room`);
  if (owner.sessionId !== p.sessionId && !isAdmin(p))
    return void ctx.d.reject('not_allowed', "muting another participant's track needs roomAdmin");
  if (!owner.tracks.some((t) => t.trackId === ctx.body.trackId))
    return void ctx.d.reject('bad_request', `no track '${ctx.body.trackId}'`);
  ctx.d.emit(
    {
      type: 'TrackMuted',
      sessionId: owner.sessionId,
      identity: owner.identity,
      trackId: ctx.body.trackId,
      muted: ctx.body.muted,
      by: p.identity,
    },
    othersAbout(owner, true),
  );
};

const updatePermissions: Handler<'UpdatePermissions'> = (ctx) => {
  const target = adminTarget(ctx, ctx.body.identity);
  if (!target) return;
  const change = ctx.body.grants;
  const grants: Grants = {
    roomJoin: target.grants.roomJoin,
    roomAdmin: change.roomAdmin ?? target.grants.roomAdmin,
    canPublish: change.canPublish ?? target.grants.canPublish,
    canSubscribe: change.canSubscribe ?? target.grants.canSubscribe,
    canPublishData: change.canPublishData ?? target.grants.canPublishData,
    hidden: change.hidden ?? target.grants.hidden,
  };
  ctx.d.emit(
    {
      type: 'ParticipantUpdated',
      sessionId: target.sessionId,
      identity: target.identity,
      name: null,
      metadata: null,
      grants,
    },
    othersAbout(target, true),
  );
  if (target.tracks.length > 0 && !grants.canPublish) {
    for (const t of target.tracks)
      ctx.d.emit(
        { type: 'TrackUnpublished', sessionId: target.sessionId, identity: target.identity, trackId: t.trackId },
        othersAbout(target, true),
      );
    ctx.d.toMedia(target.sessionId, { type: 'CloseSession', reason: 'publish permission revoked' });
  }
};

const updateRoomMetadata: Handler<'UpdateRoomMetadata'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  if (!isAdmin(p)) return void ctx.d.reject('not_allowed', 'this action needs the roomAdmin grant');
  ctx.d.emit(
    { type: 'RoomMetadataChanged', metadata: ctx.body.metadata, by: p.identity },
    { type: 'AudienceRoom', exclude: [] },
  );
};

const publish: Handler<'Publish'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  if (!p.grants.canPublish) return void ctx.d.reject('not_allowed', 'the token does not grant publishing');
  if (ctx.body.tracks.length === 0) return void ctx.d.reject('bad_request', 'publish without tracks');
  for (const track of ctx.body.tracks)
    ctx.d.emit(
      { type: 'TrackPublished', sessionId: p.sessionId, identity: p.identity, track: { ...track, mid: null } },
      othersAbout(p, true),
    );
  ctx.d.toMedia(p.sessionId, {
    type: 'PublishOffer',
    sdp: ctx.body.sdp,
    tracks: ctx.body.tracks,
    identity: p.identity,
  });
  const publisher = ctx.d.state.participants.get(p.sessionId)!;
  if (!publisher.grants.hidden)
    autoSubscribe(
      ctx,
      publisher,
      ctx.body.tracks.map((t) => t.trackId),
    );
};

const unpublish: Handler<'Unpublish'> = (ctx) => {
  const p = sender(ctx);
  if (!p) return;
  const unknown = ctx.body.trackIds.find((id) => !p.tracks.some((t) => t.trackId === id));
  if (unknown !== undefined) return void ctx.d.reject('bad_request', `no published track '${unknown}'`);
  for (const trackId of ctx.body.trackIds)
    ctx.d.emit(
      { type: 'TrackUnpublished', sessionId: p.sessionId, identity: p.identity, trackId },
      othersAbout(p, true),
    );
  const refs = ctx.body.trackIds.map((trackId) => ({ publisherSessionId: p.sessionId, trackId }));
  ctx.d.toMedia('', { type: 'UnsubscribeTracks', tracks: refs });
};

function subscription(ctx: BaseCtx & { readonly body: Body<'Subscribe'> | Body<'Unsubscribe'> }, add: boolean): void {
  const p = sender(ctx);
  if (!p) return;
  if (!p.grants.canSubscribe) return void ctx.d.reject('not_allowed', 'the token does not grant subscribing');
  const published = new Set(
    [...ctx.d.state.participants.values()].flatMap((q) => q.tracks.map((t) => scopedTrackId(q.sessionId, t.trackId))),
  );
  const unknown = ctx.body.trackIds.find((id) => !published.has(id));
  if (add && unknown !== undefined)
    return void ctx.d.reject('bad_request', `no published track '${unknown}' (use <sessionId>/<trackId>)`);
  const next = add
    ? [...new Set([...p.subscriptions, ...ctx.body.trackIds])]
    : p.subscriptions.filter((t) => !ctx.body.trackIds.includes(t));
  ctx.d.emit({ type: 'SubscriptionChanged', sessionId: p.sessionId, trackIds: next }, self(p));
  const refs = ctx.body.trackIds.map(toTrackRef);
  ctx.d.toMedia(
    p.sessionId,
    add ? { type: 'SubscribeTracks', tracks: refs } : { type: 'UnsubscribeTracks', tracks: refs },
  );
}

const mediaSdp: Handler<'MediaSdp'> = (ctx) => {
  const p = sender(ctx);
  if (p)
    ctx.d.toMedia(p.sessionId, {
      type: 'RemoteSdp',
      transport: ctx.body.transport,
      sdpType: ctx.body.sdpType,
      sdp: ctx.body.sdp,
    });
};

const mediaCandidate: Handler<'MediaCandidate'> = (ctx) => {
  const p = sender(ctx);
  if (p)
    ctx.d.toMedia(p.sessionId, {
      type: 'RemoteCandidate',
      transport: ctx.body.transport,
      candidate: ctx.body.candidate,
    });
};

const restartIce: Handler<'RestartIce'> = (ctx) => {
  const p = sender(ctx);
  if (p) ctx.d.toMedia(p.sessionId, { type: 'IceRestart' });
};

const connectionClosed: Handler<'ConnectionClosed'> = (ctx) => {
  const src = clientSource(ctx);
  if (!src) return;
  // A stale connection (the session already resumed elsewhere, or never joined) changes nothing.
  const p = participantByConnection(ctx.d.state, src.edgeId, src.connectionId);
  if (!p || p.status === 'RECONNECTING') return;
  if (ctx.body.clean) return leave(ctx, p, 'CLIENT_LEFT');
  ctx.d.emit(
    {
      type: 'ParticipantConnectionChanged',
      sessionId: p.sessionId,
      identity: p.identity,
      status: 'RECONNECTING',
      reason: ctx.body.reason,
    },
    othersAbout(p),
  );
};

const timerFired: Handler<'TimerFired'> = (ctx) => {
  const { d, body, cmd } = ctx;
  const state = d.state;
  const now = cmd.receivedAt;
  switch (body.timer) {
    case 'DEPARTURE_GRACE': {
      const p = body.sessionId ? state.participants.get(body.sessionId) : undefined;
      const grace = state.config?.departureTimeoutMs ?? ctx.config.room.departureTimeoutMs;
      if (p && p.status === 'RECONNECTING' && p.disconnectedAt !== null && now >= p.disconnectedAt + grace)
        leave(ctx, p, 'DEPARTURE_TIMEOUT');
      return;
    }
    case 'EMPTY_ROOM': {
      const timeout = state.config?.emptyTimeoutMs ?? ctx.config.room.emptyTimeoutMs;
      if (
        state.phase === 'open' &&
        state.participants.size === 0 &&
        state.emptySince !== null &&
        now >= state.emptySince + timeout
      ) {
        d.emit({ type: 'RoomClosed', reason: 'EMPTY_TIMEOUT' }, { type: 'AudienceNone' });
        if (state.sfuWorker) d.toMedia('', { type: 'CloseRoom', reason: 'empty timeout' });
      }
      return;
    }
    case 'EDGE_LIVENESS': {
      for (const p of state.participants.values()) {
        if (p.connection.edgeId === body.edgeId && p.status === 'CONNECTED') {
          d.emit(
            {
              type: 'ParticipantConnectionChanged',
              sessionId: p.sessionId,
              identity: p.identity,
              status: 'RECONNECTING',
              reason: 'EDGE_LOST',
            },
            othersAbout(p),
          );
        }
      }
      return;
    }
    case 'UNKNOWN':
      return;
  }
};

const sfuSignal = (ctx: BaseCtx & { readonly body: Body<'SfuSdp'> | Body<'SfuCandidate'> }): void => {
  const p = ctx.d.state.participants.get(ctx.body.sessionId);
  if (!p) return;
  const base = { type: 'MediaSignal' as const, sessionId: p.sessionId, transport: ctx.body.transport };
  const body =
    ctx.body.type === 'SfuSdp'
      ? {
          ...base,
          kind: ctx.body.sdpType === 'OFFER' ? ('OFFER' as const) : ('ANSWER' as const),
          sdp: ctx.body.sdp,
          candidate: null,
        }
      : ctx.body.candidate
        ? { ...base, kind: 'CANDIDATE' as const, sdp: null, candidate: ctx.body.candidate }
        : { ...base, kind: 'END_OF_CANDIDATES' as const, sdp: null, candidate: null };
  ctx.d.emit(body, self(p));
};

const sfuRoomStatus: Handler<'SfuRoomStatus'> = (ctx) => {
  const { d, body } = ctx;
  if (d.state.phase !== 'open') return;
  if (body.status === 'ACCEPTED' && d.state.sfuWorker !== body.workerId) {
    const previous = d.state.sfuWorker;
    d.emit({ type: 'SfuAssigned', workerId: body.workerId, previousWorkerId: previous }, { type: 'AudienceNone' });
    const hadMedia = [...d.state.participants.values()].some((p) => p.tracks.length > 0 || p.subscriptions.length > 0);
    if (previous !== null && hadMedia)
      d.emit(
        { type: 'MediaReset', reason: `media worker ${previous} was replaced` },
        { type: 'AudienceRoom', exclude: [] },
      );
  } else if (body.status === 'RELEASED' && d.state.sfuWorker === body.workerId) {
    // A late release from a worker that is no longer the room's (the new one accepted first) changes nothing.
    const hadMedia = [...d.state.participants.values()].some((p) => p.tracks.length > 0 || p.subscriptions.length > 0);
    d.emit({ type: 'SfuReleased', workerId: body.workerId }, { type: 'AudienceNone' });
    if (hadMedia)
      d.emit(
        { type: 'MediaReset', reason: `media worker ${body.workerId} released the room` },
        { type: 'AudienceRoom', exclude: [] },
      );
  } else if (body.status === 'REFUSED') {
    for (const p of d.state.participants.values()) {
      if (p.tracks.length > 0 || p.subscriptions.length > 0) {
        d.emit(
          {
            type: 'CommandRejected',
            commandId: ctx.cmd.commandId,
            code: body.code ?? 'sfu_unavailable',
            message: 'no media worker can serve this room',
            commandType: 'SfuRoomStatus',
          },
          self(p),
        );
      }
    }
  }
};

const sfuError: Handler<'SfuError'> = (ctx) => {
  const p = ctx.d.state.participants.get(ctx.body.sessionId);
  if (!p) return;
  ctx.d.emit(
    {
      type: 'CommandRejected',
      commandId: ctx.cmd.commandId,
      code: ctx.body.code,
      message: ctx.body.message,
      commandType: 'SfuError',
    },
    self(p),
  );
};

const ignore = (): void => undefined;

/** The only source each command body may come from (see `decide`). */
const SOURCE_OF: { readonly [T in CommandBody['type']]: CommandSource['type'] } = {
  Join: 'ClientSource',
  Leave: 'ClientSource',
  PeerSignal: 'ClientSource',
  SendData: 'ClientSource',
  UpdateMetadata: 'ClientSource',
  KickParticipant: 'ClientSource',
  MuteTrack: 'ClientSource',
  UpdatePermissions: 'ClientSource',
  UpdateRoomMetadata: 'ClientSource',
  Publish: 'ClientSource',
  Unpublish: 'ClientSource',
  Subscribe: 'ClientSource',
  Unsubscribe: 'ClientSource',
  MediaSdp: 'ClientSource',
  MediaCandidate: 'ClientSource',
  RestartIce: 'ClientSource',
  ConnectionClosed: 'ClientSource',
  TimerFired: 'ProjectorSource',
  SfuSdp: 'SfuSource',
  SfuCandidate: 'SfuSource',
  SfuTrackState: 'SfuSource',
  SfuConnectionState: 'SfuSource',
  SfuRoomStatus: 'SfuSource',
  SfuError: 'SfuSource',
};

const HANDLERS: { readonly [T in CommandBody['type']]: Handler<T> } = {
  Join: join,
  Leave: leaveHandler,
  PeerSignal: peerSignal,
  SendData: sendData,
  UpdateMetadata: updateMetadata,
  KickParticipant: kick,
  MuteTrack: muteTrack,
  UpdatePermissions: updatePermissions,
  UpdateRoomMetadata: updateRoomMetadata,
  Publish: publish,
  Unpublish: unpublish,
  Subscribe: (ctx) => subscription(ctx, true),
  Unsubscribe: (ctx) => subscription(ctx, false),
  MediaSdp: mediaSdp,
  MediaCandidate: mediaCandidate,
  RestartIce: restartIce,
  ConnectionClosed: connectionClosed,
  TimerFired: timerFired,
  SfuSdp: sfuSignal,
  SfuCandidate: sfuSignal,
  // Track flow and PeerConnection state are operational signals (metrics), not room facts.
  SfuTrackState: ignore,
  SfuConnectionState: ignore,
  SfuRoomStatus: sfuRoomStatus,
  SfuError: sfuError,
};
