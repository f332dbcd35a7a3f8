/**
 * The media of one room on this worker: every participant's PUBLISHER and SUBSCRIBER werift
 * connections, and RTP forwarding from each published track to one local track per subscriber.
 * Commands of a room run one at a time (a serial queue), so werift is never asked to negotiate
 * the same connection twice at once.
 */
import {
  MediaStream,
  MediaStreamTrack,
  RtcpPayloadSpecificFeedback,
  isCodecCompatible,
  type PeerConfig,
  type RTCRtpReceiver,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import type { Logger } from '@sig/runtime';
import type {
  CommandBody,
  ErrorCode,
  MediaCommand,
  MediaCommandBody,
  MediaTransport,
  PeerConnectionState,
  TrackInfo,
  TrackKind,
  TrackRef,
} from '@sig/schemas';
import {
  INITIAL_NEGOTIATION,
  keyframeRequestDue,
  matchTrack,
  negotiate,
  participantConnectionState,
  SubscriptionBook,
  trackKey,
  trackKind,
  type Admission,
  type CandidatePolicy,
  type Link,
  type NegotiationEvent,
  type NegotiationPolicy,
  type NegotiationState,
  type RateMeter,
} from '../domain/index.js';
import { PeerLink, SdpError, fingerprintOf } from './peer.js';

/** What a room needs from its worker. */
export interface RoomContext {
  readonly logger: Logger;
  readonly peerConfig: () => Partial<PeerConfig>;
  readonly candidatePolicy: CandidatePolicy;
  /** Queues a report (a Command with SfuSource) about this room. */
  readonly report: (room: string, body: CommandBody) => void;
  /** Whether one more PeerConnection fits on this worker. */
  readonly admitPeerConnection: () => Admission;
  readonly traffic: { readonly in: RateMeter; readonly out: RateMeter };
  readonly negotiation: NegotiationPolicy;
  readonly keyframeIntervalMs: number;
  readonly now: () => number;
}

/** How many connections and tracks a room holds (metrics, admission). */
export interface RoomCensus {
  peerConnections: number;
  published: { audio: number; video: number };
  subscribed: { audio: number; video: number };
}

/** A publisher track arriving on the SFU. */
interface Incoming {
  readonly trackId: string;
  readonly kind: TrackKind;
  readonly mid: string | null;
  readonly track: MediaStreamTrack;
  readonly receiver: RTCRtpReceiver;
  readonly transceiver: RTCRtpTransceiver;
  /** One local track per subscriber; each packet is written to all of them. */
  readonly sinks: Set<MediaStreamTrack>;
  flowing: boolean;
  lastKeyframeRequestAt: number | undefined;
  /** Stops listening to the track's RTP. */
  stop: () => void;
}

/** A track forwarded to a subscriber. */
interface Outgoing {
  readonly key: string;
  readonly kind: TrackKind;
  readonly local: MediaStreamTrack;
  readonly transceiver: RTCRtpTransceiver;
  readonly source: Incoming;
  /** Stops listening to the subscriber's keyframe requests for this track. */
  readonly unsubscribe: () => void;
}

class Participant {
  publisher: PeerLink | null = null;
  subscriber: PeerLink | null = null;
  negotiation: NegotiationState = INITIAL_NEGOTIATION;
  announced: readonly TrackInfo[] = [];
  readonly incoming = new Map<string, Incoming>();
  readonly outgoing = new Map<string, Outgoing>();
  /** Subscriber transceivers whose track was removed: reused for the next track of the same kind. */
  readonly spare: RTCRtpTransceiver[] = [];
  reportedState: PeerConnectionState | null = null;

  constructor(readonly sessionId: string) {}

  link(transport: MediaTransport): PeerLink | null {
    return transport === 'PUBLISHER' ? this.publisher : transport === 'SUBSCRIBER' ? this.subscriber : null;
  }
}

/** RTCP payload-specific feedback format of a Full Intra Request (RFC 5104). */
const FIR_FMT = 4;

type Body<T extends MediaCommandBody['type']> = Extract<MediaCommandBody, { type: T }>;
type Handler<T extends MediaCommandBody['type']> = (cmd: MediaCommand, body: Body<T>) => Promise<void>;

/** A media operation that failed for a participant, with the code it is reported under. */
class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Media state of one room; `close()` is idempotent and closes every connection it owns. */
export class MediaRoom {
  readonly #participants = new Map<string, Participant>();
  readonly #book = new SubscriptionBook();
  readonly #log: Logger;
  /** Subscribers whose connection changed during the current command: renegotiated once at its end. */
  readonly #dirty = new Set<Participant>();
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | null = null;

  constructor(
    readonly room: string,
    private readonly ctx: RoomContext,
  ) {
    this.#log = ctx.logger.child({ room });
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** No participant has media here. */
  get isEmpty(): boolean {
    return this.#participants.size === 0;
  }

  /** Handles a media command after every earlier one; never rejects (failures are reported as SfuError). */
  handle(cmd: MediaCommand): Promise<void> {
    return this.#serial(async () => {
      if (this.closed) return;
      const handler = this.#handlers[cmd.body.type] as Handler<MediaCommandBody['type']>;
      try {
        await handler(cmd, cmd.body);
      } catch (error) {
        this.#fail(cmd.sessionId, error, cmd.body.type);
      }
      await this.#renegotiateDirty();
    });
  }

  /** Periodic work: unanswered offers time out. */
  tick(now: number): Promise<void> {
    return this.#serial(async () => {
      if (this.closed) return;
      for (const p of this.#participants.values()) {
        if (p.negotiation.phase === 'offering') await this.#negotiate(p, { type: 'tick', now });
      }
    });
  }

  /** Connections and tracks held. */
  census(): RoomCensus {
    const c: RoomCensus = { peerConnections: 0, published: { audio: 0, video: 0 }, subscribed: { audio: 0, video: 0 } };
    for (const p of this.#participants.values()) {
      if (p.publisher && !p.publisher.closed) c.peerConnections++;
      if (p.subscriber && !p.subscriber.closed) c.peerConnections++;
      for (const i of p.incoming.values())
        if (i.kind !== 'UNKNOWN') c.published[i.kind === 'AUDIO' ? 'audio' : 'video']++;
      for (const o of p.outgoing.values())
        if (o.kind !== 'UNKNOWN') c.subscribed[o.kind === 'AUDIO' ? 'audio' : 'video']++;
    }
    return c;
  }

  /** Closes every connection of the room (worker releasing it, CloseRoom); idempotent. */
  close(reason: string): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#log.info({ reason }, 'closing room media');
    // Not queued behind pending commands: a release must not wait for slow negotiations.
    const participants = [...this.#participants.values()];
    this.#participants.clear();
    this.#closing = Promise.all(participants.map((p) => this.#closeParticipant(p, false))).then(() => undefined);
    return this.#closing;
  }

  readonly #handlers: { readonly [T in MediaCommandBody['type']]: Handler<T> } = {
    PublishOffer: async (cmd, body) => {
      const p = this.#participant(cmd.sessionId);
      p.announced = mergeAnnounced(p.announced, body.tracks);
      await this.#publisherOffer(p, body.sdp);
    },
    SubscribeTracks: async (cmd, body) => {
      const p = this.#participant(cmd.sessionId);
      this.#attachAll(this.#book.subscribe(p.sessionId, body.tracks));
      await Promise.resolve();
    },
    UnsubscribeTracks: async (cmd, body) => {
      // Room-wide (no session): the publisher unpublished these tracks.
      if (cmd.sessionId === '') this.#unpublishTracks(body.tracks);
      else this.#detachAll(this.#book.unsubscribe(cmd.sessionId, body.tracks));
      await Promise.resolve();
    },
    RemoteSdp: async (cmd, body) => {
      const p = this.#participant(cmd.sessionId);
      if (body.transport === 'PUBLISHER' && body.sdpType === 'OFFER') return this.#publisherOffer(p, body.sdp);
      if (body.transport === 'SUBSCRIBER' && body.sdpType === 'ANSWER') return this.#subscriberAnswer(p, body.sdp);
      throw new MediaError(
        'invalid_sdp',
        `unexpected ${body.sdpType} on the ${body.transport} connection (the client offers on PUBLISHER and answers on SUBSCRIBER)`,
      );
    },
    RemoteCandidate: async (cmd, body) => {
      const link = this.#participants.get(cmd.sessionId)?.link(body.transport);
      if (!link || link.closed) {
        this.#log.debug(
          { session: cmd.sessionId, transport: body.transport },
          'candidate for a connection that does not exist; ignored',
        );
        return;
      }
      try {
        await link.addRemoteCandidate(body.candidate);
      } catch (error) {
        throw new MediaError(
          'invalid_candidate',
          `candidate refused: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
    IceRestart: async (cmd) => {
      const p = this.#participants.get(cmd.sessionId);
      if (!p) return;
      // The client owns the PUBLISHER offers (glare-free): it restarts that one with an
      // iceRestart offer, which werift answers with fresh credentials. The SFU restarts its own.
      if (p.subscriber && !p.subscriber.closed) await this.#negotiate(p, { type: 'restart-ice' });
    },
    CloseSession: async (cmd) => {
      const p = this.#participants.get(cmd.sessionId);
      if (!p) return;
      this.#participants.delete(p.sessionId);
      this.#dirty.delete(p);
      await this.#closeParticipant(p, true);
    },
    CloseRoom: async (_cmd, body) => {
      await this.close(body.reason);
    },
  };

  // ---- publisher side ---------------------------------------------------------------------

  async #publisherOffer(p: Participant, sdp: string): Promise<void> {
    // A different DTLS fingerprint is a new client connection (page reload, re-publish after a
    // reset), and a failed or closed connection cannot be renegotiated: replace ours. The same
    // fingerprint on a live connection is a renegotiation of it.
    const current = p.publisher;
    if (current) {
      const replaced = current.remoteFingerprint !== null && current.remoteFingerprint !== fingerprintOf(sdp);
      if (replaced || current.closed || current.state === 'FAILED' || current.state === 'CLOSED') {
        this.#log.info({ session: p.sessionId, replaced }, 'new publisher connection replaces the previous one');
        this.#dropIncoming(p, [...p.incoming.values()]);
        p.publisher = null;
        await current.close();
      }
    }
    const fresh = p.publisher === null;
    const link = p.publisher ?? this.#newLink(p, 'PUBLISHER');
    if (!link) return;
    p.publisher = link;
    let answer: string;
    try {
      answer = await link.answer(sdp);
    } catch (error) {
      // A connection that never got a valid offer holds nothing worth keeping.
      if (fresh) {
        p.publisher = null;
        await link.close();
      }
      throw error;
    }
    this.#syncIncoming(p, link);
    this.#report({ type: 'SfuSdp', sessionId: p.sessionId, transport: 'PUBLISHER', sdpType: 'ANSWER', sdp: answer });
    link.released(answer);
  }

  /** Reconciles the tracks arriving on the publisher connection with its negotiated transceivers. */
  #syncIncoming(p: Participant, link: PeerLink): void {
    const receiving = link.pc
      .getTransceivers()
      .filter((t) => t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv');
    // Tracks whose m-line stopped receiving (removed by the client, or rejected) end first, so
    // a track id moving to another m-line is not dropped after being added again.
    this.#dropIncoming(
      p,
      [...p.incoming.values()].filter((i) => !receiving.includes(i.transceiver)),
    );
    const taken = new Set([...p.incoming.keys()]);
    for (const t of receiving) {
      const existing = [...p.incoming.values()].find((i) => i.transceiver === t);
      if (existing) {
        // Unpublished earlier and announced again on the same m-line.
        if (p.announced.some((a) => a.trackId === existing.trackId))
          this.#attachAll(this.#book.publish(this.#published(p, existing)));
        continue;
      }
      const kind = trackKind(t.kind);
      const { trackId } = matchTrack(
        { kind, mid: t.mid, msidTrackId: t.receiver.remoteTrackId ?? null },
        p.announced,
        taken,
      );
      taken.add(trackId);
      const stale = p.incoming.get(trackId);
      if (stale) this.#dropIncoming(p, [stale]);
      this.#addIncoming(p, t, trackId, kind);
    }
  }

  #addIncoming(p: Participant, transceiver: RTCRtpTransceiver, trackId: string, kind: TrackKind): void {
    const track = transceiver.receiver.track;
    const incoming: Incoming = {
      trackId,
      kind,
      mid: transceiver.mid,
      track,
      receiver: transceiver.receiver,
      transceiver,
      sinks: new Set(),
      flowing: false,
      lastKeyframeRequestAt: undefined,
      stop: () => undefined,
    };
    const { unSubscribe } = track.onReceiveRtp.subscribe((rtp: RtpPacket) => this.#forward(p, incoming, rtp));
    incoming.stop = unSubscribe;
    p.incoming.set(trackId, incoming);
    this.#log.info(
      { session: p.sessionId, trackId, kind, mid: transceiver.mid, codec: track.codec?.mimeType },
      'publisher track arrived',
    );
    this.#attachAll(this.#book.publish(this.#published(p, incoming)));
  }

  /** One RTP packet of a publisher track, written to every subscriber's local track. */
  #forward(p: Participant, incoming: Incoming, rtp: RtpPacket): void {
    const { traffic } = this.ctx;
    traffic.in.add(1);
    if (!incoming.flowing) {
      incoming.flowing = true;
      this.#report({
        type: 'SfuTrackState',
        sessionId: p.sessionId,
        trackId: incoming.trackId,
        mid: incoming.mid,
        state: 'FLOWING',
      });
      // Subscribers attached before the first packet need a keyframe to start decoding.
      if (incoming.sinks.size > 0) this.#requestKeyframe(incoming);
    }
    if (incoming.sinks.size === 0) return;
    // The publisher's header extensions use the publisher connection's ids; each subscriber
    // sender writes its own (mid…), so the publisher's must not leak through.
    const out = rtp.clone();
    out.header.extensions = [];
    out.header.extension = false;
    for (const sink of incoming.sinks) sink.writeRtp(out);
    traffic.out.add(incoming.sinks.size);
  }

  #published(p: Participant, i: Incoming) {
    return { publisherSessionId: p.sessionId, trackId: i.trackId, kind: i.kind };
  }

  /** Publisher tracks that ended: stop forwarding them everywhere. */
  #dropIncoming(p: Participant, gone: readonly Incoming[]): void {
    for (const i of gone) {
      this.#detachAll(this.#book.unpublish(p.sessionId, i.trackId));
      i.stop();
      p.incoming.delete(i.trackId);
      if (i.flowing)
        this.#report({
          type: 'SfuTrackState',
          sessionId: p.sessionId,
          trackId: i.trackId,
          mid: i.mid,
          state: 'STOPPED',
        });
    }
  }

  #unpublishTracks(refs: readonly TrackRef[]): void {
    this.#detachAll(this.#book.dropTracks(refs));
    for (const ref of refs) {
      const i = this.#participants.get(ref.publisherSessionId)?.incoming.get(ref.trackId);
      if (i?.flowing)
        this.#report({
          type: 'SfuTrackState',
          sessionId: ref.publisherSessionId,
          trackId: ref.trackId,
          mid: i.mid,
          state: 'STOPPED',
        });
      if (i) i.flowing = false;
    }
  }

  #requestKeyframe(i: Incoming): void {
    if (i.kind !== 'VIDEO' || i.track.ssrc === undefined) return;
    const now = this.ctx.now();
    if (!keyframeRequestDue(i.lastKeyframeRequestAt, now, this.ctx.keyframeIntervalMs)) return;
    i.lastKeyframeRequestAt = now;
    i.receiver.sendRtcpPLI(i.track.ssrc).catch((error: unknown) => this.#log.debug({ err: error }, 'PLI not sent'));
  }

  // ---- subscriber side --------------------------------------------------------------------

  #attachAll(links: readonly Link[]): void {
    for (const link of links) this.#attach(link);
  }

  #detachAll(links: readonly Link[]): void {
    for (const link of links) this.#detach(link);
  }

  #attach(link: Link): void {
    const sub = this.#participants.get(link.subscriberSessionId);
    const source = this.#participants.get(link.track.publisherSessionId)?.incoming.get(link.track.trackId);
    if (!sub || !source) return;
    const key = trackKey(link.track.publisherSessionId, link.track.trackId);
    if (sub.outgoing.has(key)) return;
    const peer = this.#ensureSubscriber(sub);
    if (!peer) return;
    // The local track carries the publisher's negotiated codec: werift then offers only that
    // codec (and its RTX) to the subscriber, so forwarded payloads always match.
    const local = new MediaStreamTrack({
      kind: source.track.kind,
      ...(source.track.codec ? { codec: source.track.codec } : {}),
    });
    // msid "<publisher session> <track id>" tells the client whose track it receives.
    const stream = new MediaStream({ id: link.track.publisherSessionId });
    const transceiver =
      this.#reuseSpare(sub, local, stream) ??
      peer.pc.addTransceiver(local, { direction: 'sendonly', streams: [stream] });
    // werift declares trackId readonly but writes it into a=msid at each offer: set the announced id.
    Object.assign(transceiver.sender, { trackId: link.track.trackId });
    const pli = transceiver.sender.onPictureLossIndication.subscribe(() => this.#requestKeyframe(source));
    const fir = transceiver.sender.onRtcp.subscribe((packet) => {
      if (packet instanceof RtcpPayloadSpecificFeedback && packet.feedback.count === FIR_FMT)
        this.#requestKeyframe(source);
    });
    const unsubscribe = () => {
      pli.unSubscribe();
      fir.unSubscribe();
    };
    source.sinks.add(local);
    sub.outgoing.set(key, { key, kind: source.kind, local, transceiver, source, unsubscribe });
    this.#dirty.add(sub);
  }

  /** A transceiver freed by an earlier detach, same kind and a compatible codec, or null. */
  #reuseSpare(sub: Participant, local: MediaStreamTrack, stream: MediaStream): RTCRtpTransceiver | null {
    for (const [index, t] of sub.spare.entries()) {
      if (t.kind !== local.kind || t.stopped || t.stopping) continue;
      // werift refuses a track whose codec differs from the one negotiated on this m-line.
      const negotiated = t.sender.codec;
      if (negotiated && local.codec && !isCodecCompatible(local.codec, negotiated)) continue;
      // Runs synchronously up to registering the track; only a failure would be asynchronous.
      t.sender
        .replaceTrack(local)
        .catch((error: unknown) => this.#log.warn({ err: error }, 'reusing a subscriber transceiver failed'));
      t.sender.setStreams([stream]);
      t.setDirection('sendonly');
      sub.spare.splice(index, 1);
      return t;
    }
    return null;
  }

  #detach(link: Link): void {
    const sub = this.#participants.get(link.subscriberSessionId);
    const key = trackKey(link.track.publisherSessionId, link.track.trackId);
    const out = sub?.outgoing.get(key);
    if (!sub || !out) return;
    out.source.sinks.delete(out.local);
    out.unsubscribe();
    sub.outgoing.delete(key);
    if (sub.subscriber && !sub.subscriber.closed) {
      // Inactive, not stopped: stopping every m-line would tear down the BUNDLE transport.
      sub.subscriber.pc.removeTrack(out.transceiver.sender);
      sub.spare.push(out.transceiver);
    }
    out.local.stop();
    this.#dirty.add(sub);
  }

  #ensureSubscriber(p: Participant): PeerLink | null {
    if (p.subscriber && !p.subscriber.closed) return p.subscriber;
    const link = this.#newLink(p, 'SUBSCRIBER');
    if (!link) return null;
    p.subscriber = link;
    p.negotiation = INITIAL_NEGOTIATION;
    p.spare.length = 0;
    return link;
  }

  async #subscriberAnswer(p: Participant, sdp: string): Promise<void> {
    const link = p.subscriber;
    if (!link || link.closed || !link.awaitingAnswer) {
      this.#log.debug({ session: p.sessionId }, 'subscriber answer without an offer in flight; ignored');
      return;
    }
    await link.applyAnswer(sdp);
    // Newly forwarded video needs a keyframe before the subscriber can show anything.
    for (const o of p.outgoing.values()) this.#requestKeyframe(o.source);
    await this.#negotiate(p, { type: 'answered' });
  }

  async #renegotiateDirty(): Promise<void> {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const p of dirty) {
      if (this.#participants.get(p.sessionId) === p) await this.#negotiate(p, { type: 'changed' });
    }
  }

  async #negotiate(p: Participant, event: NegotiationEvent): Promise<void> {
    const { state, action } = negotiate(p.negotiation, event, this.ctx.negotiation);
    p.negotiation = state;
    if (!action) return;
    const link = p.subscriber;
    if (!link || link.closed) {
      p.negotiation = INITIAL_NEGOTIATION;
      return;
    }
    if (action.type === 'give-up') {
      this.#reportError(p.sessionId, 'timeout', 'the subscriber connection offer was never answered');
      return;
    }
    try {
      if (action.type === 'rollback-and-offer') await link.rollback();
      const sdp = await link.offer(action.iceRestart);
      this.#report({ type: 'SfuSdp', sessionId: p.sessionId, transport: 'SUBSCRIBER', sdpType: 'OFFER', sdp });
      link.released(sdp);
      p.negotiation = negotiate(p.negotiation, { type: 'offer-sent', at: this.ctx.now() }, this.ctx.negotiation).state;
    } catch (error) {
      p.negotiation = negotiate(p.negotiation, { type: 'offer-failed' }, this.ctx.negotiation).state;
      this.#fail(p.sessionId, error, 'SubscriberOffer');
    }
  }

  // ---- participants -----------------------------------------------------------------------

  #participant(sessionId: string): Participant {
    let p = this.#participants.get(sessionId);
    if (!p) {
      if (sessionId === '') throw new MediaError('bad_request', 'media command without a session');
      p = new Participant(sessionId);
      this.#participants.set(sessionId, p);
    }
    return p;
  }

  #newLink(p: Participant, transport: 'PUBLISHER' | 'SUBSCRIBER'): PeerLink | null {
    const admission = this.ctx.admitPeerConnection();
    if (!admission.ok) {
      this.#reportError(p.sessionId, admission.code, admission.reason);
      return null;
    }
    const link: PeerLink = new PeerLink(transport, this.ctx.peerConfig(), this.ctx.candidatePolicy, {
      candidate: (candidate) => {
        if (!link.closed) this.#report({ type: 'SfuCandidate', sessionId: p.sessionId, transport, candidate });
      },
      state: () => this.#onConnectionState(p, transport, link),
    });
    return link;
  }

  #onConnectionState(p: Participant, transport: MediaTransport, link: PeerLink): void {
    if (transport === 'SUBSCRIBER' && link.state === 'CONNECTED') {
      for (const o of p.outgoing.values()) this.#requestKeyframe(o.source);
    }
    const states = [p.publisher, p.subscriber]
      .filter((l): l is PeerLink => l !== null && !l.closed)
      .map((l) => l.state);
    const state = this.#participants.get(p.sessionId) === p ? participantConnectionState(states) : 'CLOSED';
    if (state === p.reportedState) return;
    p.reportedState = state;
    this.#report({ type: 'SfuConnectionState', sessionId: p.sessionId, state });
  }

  /** Closes a participant's connections; with `renegotiateOthers`, its tracks leave every other subscriber. */
  async #closeParticipant(p: Participant, renegotiateOthers: boolean): Promise<void> {
    const links = this.#book.removeSession(p.sessionId);
    if (renegotiateOthers) this.#detachAll(links);
    for (const i of p.incoming.values()) {
      i.stop();
      if (i.flowing && renegotiateOthers)
        this.#report({
          type: 'SfuTrackState',
          sessionId: p.sessionId,
          trackId: i.trackId,
          mid: i.mid,
          state: 'STOPPED',
        });
    }
    p.incoming.clear();
    for (const o of p.outgoing.values()) {
      o.source.sinks.delete(o.local);
      o.unsubscribe();
      o.local.stop();
    }
    p.outgoing.clear();
    const peers = [p.publisher, p.subscriber].filter((l): l is PeerLink => l !== null);
    p.publisher = null;
    p.subscriber = null;
    await Promise.all(peers.map((l) => l.close()));
    if (renegotiateOthers && p.reportedState !== 'CLOSED' && p.reportedState !== null) {
      p.reportedState = 'CLOSED';
      this.#report({ type: 'SfuConnectionState', sessionId: p.sessionId, state: 'CLOSED' });
    }
  }

  // ---- reporting --------------------------------------------------------------------------

  #report(body: CommandBody): void {
    this.ctx.report(this.room, body);
  }

  #reportError(sessionId: string, code: ErrorCode, message: string): void {
    if (sessionId === '') return;
    this.#report({ type: 'SfuError', sessionId, code, message });
  }

  #fail(sessionId: string, error: unknown, operation: string): void {
    const code: ErrorCode =
      error instanceof MediaError ? error.code : error instanceof SdpError ? 'invalid_sdp' : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'internal') this.#log.error({ err: error, session: sessionId, operation }, 'media operation failed');
    else this.#log.warn({ session: sessionId, operation, code, message }, 'media operation refused');
    this.#reportError(sessionId, code, code === 'internal' ? `${operation} failed` : message);
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch((error: unknown) => this.#log.error({ err: error }, 'room task failed'));
    return this.#queue;
  }
}

/** Announced tracks after a new Publish: new announcements replace older ones of the same id. */
function mergeAnnounced(previous: readonly TrackInfo[], next: readonly TrackInfo[]): TrackInfo[] {
  const ids = new Set(next.map((t) => t.trackId));
  return [...previous.filter((t) => !ids.has(t.trackId)), ...next];
}
