/**
 * P2P mesh: one RTCPeerConnection per other participant, negotiated through `signal` messages
 * with the "perfect negotiation" pattern (W3C WebRTC, §10.7): both sides may offer; on a
 * collision the impolite peer ignores the incoming offer and the polite one rolls back. Roles
 * are fixed by comparing identities, so the two ends always disagree.
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

/** A remote track arrived from a peer. */
export interface RemoteTrack {
  readonly identity: string;
  readonly sessionId: string;
  readonly track: MediaStreamTrack;
  readonly streams: readonly MediaStream[];
}

/** Events of {@link P2PMesh}. */
export interface P2PMeshEvents extends Record<string, unknown> {
  /** A remote track arrived. */
  track: RemoteTrack;
  /** A peer connection changed state (`connected`, `failed`…). */
  peer_state: { identity: string; state: RTCPeerConnectionState };
  /** A peer connection was closed (the participant left, or rejoined with a new session). */
  peer_closed: { identity: string };
  /** A negotiation step failed (code `media_failed`). */
  failure: SignalClientError;
}

/** Options of {@link P2PMesh}. */
export interface P2PMeshOptions extends MediaOptions {
  /** Local media sent to every peer. */
  readonly localStream?: MediaStream;
}

interface Peer {
  readonly identity: string;
  readonly sessionId: string;
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  readonly queue: SerialQueue;
  makingOffer: boolean;
  ignoreOffer: boolean;
}

/** P2P media with every other participant of the client's room. */
export class P2PMesh extends TypedEmitter<P2PMeshEvents> {
  readonly #client: SignalClient;
  readonly #options: P2PMeshOptions;
  readonly #PC: PeerConnectionConstructor;
  readonly #peers = new Map<string, Peer>();
  readonly #unsubscribe: (() => void)[] = [];
  #joined: ServerMessageOf<'joined'> | null = null;
  #closed = false;

  /** Attaches to `client` (before or after it joined). */
  constructor(client: SignalClient, options: P2PMeshOptions = {}) {
    super();
    this.#client = client;
    this.#options = options;
    this.#PC = peerConnectionClass(options);
    this.#unsubscribe.push(
      client.on('session', (m) => this.#onSession(m)),
      client.on('participant_joined', (m) => this.#peer(m.participant.identity, m.participant.sessionId)),
      client.on('participant_left', (m) => this.#closePeer(m.identity, m.sessionId)),
      client.on('signal', (m) => this.#onSignal(m)),
      client.on('notice', (m) => {
        if (m.kind !== 'ice_servers') return;
        this.#joined = withIceServers(this.#joined, m);
        applyIceServers(
          [...this.#peers.values()].map((p) => p.pc),
          rtcConfiguration(this.#joined, this.#options.rtcConfig),
        );
      }),
      client.on('resumed', () => this.#restartFailed()),
      onNetworkChange(() => this.restartIce()),
    );
    if (client.state.status === 'joined') {
      for (const p of client.participants.values()) this.#peer(p.identity, p.sessionId);
    }
  }

  /** The peer connection with `identity`, if any (for stats). */
  connection(identity: string): RTCPeerConnection | undefined {
    return this.#peers.get(identity)?.pc;
  }

  /** Every peer connection by identity. */
  get connections(): ReadonlyMap<string, RTCPeerConnection> {
    return new Map([...this.#peers].map(([id, p]) => [id, p.pc]));
  }

  /** Restarts ICE with every peer (after a network change; also done on `online` and on ICE failure). */
  restartIce(): void {
    for (const p of this.#peers.values()) p.pc.restartIce();
  }

  /** Closes every peer connection and detaches from the client. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    for (const identity of [...this.#peers.keys()]) this.#closePeer(identity);
  }

  #onSession(m: ServerMessageOf<'joined'>): void {
    this.#joined = m;
    // A new session (first join or failed resume): the old peer connections belong to the old one.
    for (const identity of [...this.#peers.keys()]) this.#closePeer(identity);
    for (const p of m.participants) this.#peer(p.identity, p.sessionId);
  }

  #peer(identity: string, sessionId: string): Peer | null {
    if (this.#closed) return null;
    const existing = this.#peers.get(identity);
    if (existing?.sessionId === sessionId) return existing;
    if (existing) this.#closePeer(identity);
    const self = this.#client.identity;
    if (self === null || identity === self) return null;
    const pc = new this.#PC(rtcConfiguration(this.#joined, this.#options.rtcConfig));
    const peer: Peer = {
      identity,
      sessionId,
      pc,
      polite: self > identity,
      queue: new SerialQueue((error) => this.#fail(identity, error)),
      makingOffer: false,
      ignoreOffer: false,
    };
    this.#peers.set(identity, peer);
    pc.onnegotiationneeded = () =>
      peer.queue.push(async () => {
        try {
          peer.makingOffer = true;
          // Explicit createOffer (not the implicit setLocalDescription()): injected implementations
          // such as werift's only support the explicit form.
          const offer = await pc.createOffer();
          if (pc.signalingState !== 'stable') return;
          await pc.setLocalDescription(offer);
          this.#signal(identity, { kind: 'offer', sdp: offer.sdp ?? '' });
        } finally {
          peer.makingOffer = false;
        }
      });
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && candidate.candidate !== '')
        this.#signal(identity, { kind: 'candidate', candidate: fromRtcCandidate(candidate.toJSON()) });
      else if (!candidate) this.#signal(identity, { kind: 'end_of_candidates' });
    };
    pc.ontrack = ({ track, streams }) => this.emit('track', { identity, sessionId, track, streams });
    pc.onconnectionstatechange = () => this.emit('peer_state', { identity, state: pc.connectionState });
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') pc.restartIce();
    };
    const stream = this.#options.localStream;
    if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    return peer;
  }

  #onSignal(m: ServerMessageOf<'signal'>): void {
    const peer = this.#peer(m.from, m.fromSessionId);
    if (!peer) return;
    const { pc } = peer;
    peer.queue.push(async () => {
      if (m.kind === 'offer' || m.kind === 'answer') {
        const collision = m.kind === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
        peer.ignoreOffer = !peer.polite && collision;
        if (peer.ignoreOffer) return;
        await pc.setRemoteDescription({ type: m.kind, sdp: m.sdp ?? '' });
        if (m.kind === 'offer') {
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          this.#signal(m.from, { kind: 'answer', sdp: answer.sdp ?? '' });
        }
      } else if (m.kind === 'candidate' && m.candidate) {
        try {
          await pc.addIceCandidate(toRtcCandidate(m.candidate));
        } catch (error) {
          if (!peer.ignoreOffer) throw error;
        }
      }
    });
  }

  #signal(
    to: string,
    body:
      | { kind: 'offer' | 'answer'; sdp: string }
      | { kind: 'candidate'; candidate: ReturnType<typeof fromRtcCandidate> }
      | { kind: 'end_of_candidates' },
  ): void {
    try {
      this.#client.send({ type: 'signal', to, ...body });
    } catch {
      // No socket right now: ICE restarts after the resume recover what was lost.
    }
  }

  #restartFailed(): void {
    for (const p of this.#peers.values())
      if (p.pc.iceConnectionState === 'failed' || p.pc.iceConnectionState === 'disconnected') p.pc.restartIce();
  }

  #closePeer(identity: string, sessionId?: string): void {
    const peer = this.#peers.get(identity);
    if (!peer || (sessionId !== undefined && peer.sessionId !== sessionId)) return;
    this.#peers.delete(identity);
    peer.pc.onnegotiationneeded = peer.pc.onicecandidate = peer.pc.ontrack = null;
    peer.pc.onconnectionstatechange = peer.pc.oniceconnectionstatechange = null;
    peer.pc.close();
    this.emit('peer_closed', { identity });
  }

  #fail(identity: string, error: unknown): void {
    this.emit(
      'failure',
      new SignalClientError('media_failed', `negotiation with ${identity} failed: ${String(error)}`, true, {
        cause: error,
      }),
    );
  }
}
