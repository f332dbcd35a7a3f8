/**
 * SFU media: two RTCPeerConnections with the room's SFU worker, named by `transport` on every
 * media message so that offers never collide. The PUBLISHER connection carries local tracks (the
 * client offers: `publish`, later `media_sdp`); the SUBSCRIBER connection carries everyone else's
 * tracks (the SFU offers in `media_signal`, the client answers with `media_sdp`). The room
 * subscribes participants to published tracks automatically.
 */
import type { SignalClient } from './client.js';
import { TypedEmitter } from './emitter.js';
import { SignalClientError } from './errors.js';
import { fromRtcCandidate, toRtcCandidate, type ServerMessageOf } from './protocol.js';
import {
  onNetworkChange,
  peerConnectionClass,
  rtcConfiguration,
  applyIceServers,
  withIceServers,
  SerialQueue,
  type MediaOptions,
  type PeerConnectionConstructor,
} from './rtc.js';

/** What a published track captures. */
export type TrackSource = 'camera' | 'microphone' | 'screen_share' | 'screen_share_audio' | 'unknown';

/** A track received through the SFU. */
export interface SfuRemoteTrack {
  /** Session id of the publisher (the SFU names the stream after it). */
  readonly publisherSessionId: string;
  readonly track: MediaStreamTrack;
  readonly streams: readonly MediaStream[];
}

/** Events of {@link SfuSession}. */
export interface SfuSessionEvents extends Record<string, unknown> {
  /** A remote track arrived on the subscriber connection. */
  track: SfuRemoteTrack;
  /** One of the two connections changed state. */
  connection_state: { transport: 'publisher' | 'subscriber'; state: RTCPeerConnectionState };
  /** A media step failed (code `media_failed`, or the server's code). */
  failure: SignalClientError;
}

type Transport = 'publisher' | 'subscriber';

/** SFU media of the client's room. */
export class SfuSession extends TypedEmitter<SfuSessionEvents> {
  readonly #client: SignalClient;
  readonly #options: MediaOptions;
  readonly #PC: PeerConnectionConstructor;
  readonly #queue = new SerialQueue((error) => this.#fail(error));
  readonly #unsubscribe: (() => void)[] = [];
  #joined: ServerMessageOf<'joined'> | null = null;
  #publisher: RTCPeerConnection | null = null;
  #subscriber: RTCPeerConnection | null = null;
  #published: { stream: MediaStream; sources: Readonly<Record<string, TrackSource>> } | null = null;
  #closed = false;

  /** Attaches to `client` (before or after it joined). */
  constructor(client: SignalClient, options: MediaOptions = {}) {
    super();
    this.#client = client;
    this.#options = options;
    this.#PC = peerConnectionClass(options);
    this.#unsubscribe.push(
      client.on('session', (m) => this.#onSession(m)),
      client.on('media_signal', (m) => this.#onMediaSignal(m)),
      client.on('media_reset', () => this.#queue.push(() => this.#reset())),
      client.on('notice', (m) => {
        if (m.kind !== 'ice_servers') return;
        this.#joined = withIceServers(this.#joined, m);
        applyIceServers([this.#publisher, this.#subscriber], rtcConfiguration(this.#joined, this.#options.rtcConfig));
      }),
      client.on('resumed', () => this.#restartFailed()),
      onNetworkChange(() => this.restartIce()),
    );
  }

  /** The publisher connection (local tracks), once publishing. */
  get publisher(): RTCPeerConnection | null {
    return this.#publisher;
  }
  /** The subscriber connection (remote tracks), once the SFU offered it. */
  get subscriber(): RTCPeerConnection | null {
    return this.#subscriber;
  }

  /**
   * Publishes the tracks of `stream` (`sources` by track id says what each captures; default
   * camera for video, microphone for audio). Resolves when the room accepted the publish.
   */
  publish(stream: MediaStream, sources: Readonly<Record<string, TrackSource>> = {}): Promise<void> {
    if (this.#closed) return Promise.reject(SignalClientError.closed());
    this.#published = { stream, sources };
    return new Promise<void>((resolve, reject) => this.#queue.push(() => this.#publish().then(resolve, reject)));
  }

  /** Mutes or unmutes a published track: stops sending it and tells the room (`track_muted`). */
  async setMuted(track: MediaStreamTrack, muted: boolean): Promise<void> {
    track.enabled = !muted;
    const identity = this.#client.identity;
    if (identity !== null) await this.#client.request({ type: 'mute_track', identity, trackId: track.id, muted });
  }

  /** Restarts ICE on both connections (after a network change; also done on `online` and on ICE failure). */
  restartIce(): void {
    this.#queue.push(async () => {
      if (this.#publisher) await this.#offerPublisher(true);
      if (this.#subscriber) this.#send({ type: 'restart_ice' });
    });
  }

  /** Closes both connections and detaches from the client. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#closeConnections();
  }

  async #publish(): Promise<void> {
    const published = this.#published;
    if (!published || this.#closed) return;
    this.#publisher?.close();
    const pc = this.#connection('publisher');
    this.#publisher = pc;
    const tracks = published.stream.getTracks();
    for (const track of tracks) pc.addTransceiver(track, { direction: 'sendonly', streams: [published.stream] });
    const offer = await pc.createOffer();
    const announced = tracks.map((t) => ({
      trackId: t.id,
      kind: t.kind === 'audio' ? ('audio' as const) : ('video' as const),
      source: published.sources[t.id] ?? (t.kind === 'audio' ? 'microphone' : 'camera'),
    }));
    const accepted = this.#client.request({ type: 'publish', sdp: offer.sdp ?? '', tracks: announced });
    // After the publish is on its way: candidates gathered from here on follow it.
    await pc.setLocalDescription(offer);
    await accepted;
  }

  async #offerPublisher(iceRestart: boolean): Promise<void> {
    const pc = this.#publisher;
    if (!pc) return;
    const offer = await pc.createOffer({ iceRestart });
    this.#send({ type: 'media_sdp', transport: 'publisher', sdpType: 'offer', sdp: offer.sdp ?? '' });
    await pc.setLocalDescription(offer);
  }

  #onMediaSignal(m: ServerMessageOf<'media_signal'>): void {
    this.#queue.push(async () => {
      if (this.#closed) return;
      if (m.transport === 'publisher') {
        const pc = this.#publisher;
        if (!pc) return;
        if (m.kind === 'answer' && pc.signalingState === 'have-local-offer')
          await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp ?? '' });
        else if (m.kind === 'candidate' && m.candidate) await addCandidate(pc, m.candidate);
        return;
      }
      if (m.kind === 'offer') {
        const pc = this.#subscriber ?? (this.#subscriber = this.#connection('subscriber'));
        await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp ?? '' });
        const answer = await pc.createAnswer();
        this.#send({ type: 'media_sdp', transport: 'subscriber', sdpType: 'answer', sdp: answer.sdp ?? '' });
        await pc.setLocalDescription(answer);
      } else if (m.kind === 'candidate' && m.candidate && this.#subscriber) {
        await addCandidate(this.#subscriber, m.candidate);
      }
    });
  }

  #connection(transport: Transport): RTCPeerConnection {
    const pc = new this.#PC({ bundlePolicy: 'max-bundle', ...rtcConfiguration(this.#joined, this.#options.rtcConfig) });
    pc.onicecandidate = ({ candidate }) => {
      if (this.#publisher !== pc && this.#subscriber !== pc) return;
      const wire = candidate && candidate.candidate !== '' ? fromRtcCandidate(candidate.toJSON()) : null;
      this.#send({ type: 'media_candidate', transport, candidate: wire });
    };
    pc.onconnectionstatechange = () => this.emit('connection_state', { transport, state: pc.connectionState });
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') this.restartIce();
    };
    if (transport === 'subscriber')
      pc.ontrack = ({ track, streams }) =>
        this.emit('track', { publisherSessionId: streams[0]?.id ?? '', track, streams });
    return pc;
  }

  #onSession(m: ServerMessageOf<'joined'>): void {
    const fresh = this.#joined !== null;
    this.#joined = m;
    // A new session after a failed resume: the SFU forgot the old connections; start over.
    if (fresh) this.#queue.push(() => this.#reset());
  }

  async #reset(): Promise<void> {
    this.#closeConnections();
    if (this.#published) await this.#publish();
  }

  #restartFailed(): void {
    const failed = [this.#publisher, this.#subscriber].some(
      (pc) => pc?.iceConnectionState === 'failed' || pc?.iceConnectionState === 'disconnected',
    );
    if (failed) this.restartIce();
  }

  #closeConnections(): void {
    for (const pc of [this.#publisher, this.#subscriber]) {
      if (!pc) continue;
      pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
      pc.close();
    }
    this.#publisher = this.#subscriber = null;
  }

  #send(message: Parameters<SignalClient['send']>[0]): void {
    try {
      this.#client.send(message);
    } catch {
      // No socket right now: after the resume an ICE restart recovers what was lost.
    }
  }

  #fail(error: unknown): void {
    this.emit(
      'failure',
      error instanceof SignalClientError
        ? error
        : new SignalClientError('media_failed', `SFU media: ${String(error)}`, true, { cause: error }),
    );
  }
}

async function addCandidate(pc: RTCPeerConnection, candidate: Parameters<typeof toRtcCandidate>[0]): Promise<void> {
  // Candidates of an abandoned generation (after an ICE restart) are refused: that is expected.
  await pc.addIceCandidate(toRtcCandidate(candidate)).catch(() => undefined);
}
