/**
 * One werift PeerConnection of a participant (its PUBLISHER or its SUBSCRIBER connection), with
 * what the SFU adds around it: local candidates filtered/rewritten by the ICE policy and held
 * back until the SDP they belong to has been reported (werift gathers during
 * setLocalDescription, before we can report the SDP; a candidate must never reach the client
 * before its description), and a close that is idempotent.
 */
import { RTCPeerConnection, type PeerConfig, type RTCIceCandidate } from 'werift';
import type { IceCandidate, MediaTransport, PeerConnectionState } from '@sig/schemas';
import {
  applyCandidatePolicy,
  applyCandidatePolicyToSdp,
  peerConnectionState,
  type CandidatePolicy,
} from '../domain/index.js';

/** What a PeerLink reports. */
export interface PeerLinkEvents {
  /** A local candidate to trickle (null = end of candidates). */
  readonly candidate: (candidate: IceCandidate | null) => void;
  /** The connection state changed. */
  readonly state: (state: PeerConnectionState) => void;
}

/** Thrown for an SDP the client sent that werift refused. */
export class SdpError extends Error {
  override readonly name = 'SdpError';
}

type RawCandidate = Pick<RTCIceCandidate, 'candidate' | 'sdpMid' | 'sdpMLineIndex' | 'usernameFragment'>;

/** A participant's connection to the SFU. */
export class PeerLink {
  readonly pc: RTCPeerConnection;
  #holding = false;
  #held: (RawCandidate | null)[] = [];
  #closed = false;
  #state: PeerConnectionState = 'NEW';

  constructor(
    readonly transport: Exclude<MediaTransport, 'UNKNOWN'>,
    config: Partial<PeerConfig>,
    private readonly policy: CandidatePolicy,
    private readonly events: PeerLinkEvents,
  ) {
    this.pc = new RTCPeerConnection(config);
    this.pc.onIceCandidate.subscribe((candidate) => this.#onLocalCandidate(candidate ?? null));
    this.pc.connectionStateChange.subscribe((state) => {
      const next = peerConnectionState(state);
      if (next === this.#state) return;
      this.#state = next;
      this.events.state(next);
    });
  }

  get state(): PeerConnectionState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** DTLS fingerprint of the remote description: a new one means the client made a new connection. */
  get remoteFingerprint(): string | null {
    return fingerprintOf(this.pc.remoteDescription?.sdp ?? '');
  }

  /** Applies the client's offer and returns our answer (report it, then call `released`). */
  async answer(offer: string): Promise<string> {
    this.#assertOpen();
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (error) {
      throw new SdpError(`offer refused: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const answer = await this.pc.createAnswer();
    this.#holding = true;
    await this.pc.setLocalDescription(answer);
    this.#resumeIceAfterRestart();
    return this.#localSdp();
  }

  /** Creates and applies our offer (report it, then call `released`). */
  async offer(iceRestart: boolean): Promise<string> {
    this.#assertOpen();
    const offer = await this.pc.createOffer({ iceRestart });
    this.#holding = true;
    await this.pc.setLocalDescription(offer);
    return this.#localSdp();
  }

  /** Applies the client's answer to our offer. */
  async applyAnswer(answer: string): Promise<void> {
    this.#assertOpen();
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (error) {
      throw new SdpError(`answer refused: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    this.#resumeIceAfterRestart();
  }

  /**
   * werift 0.25 resets an ICE agent on restart (new credentials, no selected pair) but does not
   * run connectivity checks again while DTLS is up, so media stops for good after an ICE
   * restart. Once the restart's offer/answer is complete, start the checks ourselves.
   */
  #resumeIceAfterRestart(): void {
    for (const transport of this.pc.iceTransports) {
      const ice = transport.connection;
      const restarted =
        transport.iceRestarts > 0 &&
        ice.nominated === undefined &&
        ice.remoteUsername !== '' &&
        transport.state !== 'checking';
      if (!restarted || this.#closed) continue;
      // A failure shows in the connection state, which is reported.
      transport.start().catch(() => undefined);
    }
  }

  /** Abandons our unanswered offer. */
  async rollback(): Promise<void> {
    this.#assertOpen();
    if (this.pc.signalingState === 'have-local-offer') await this.pc.setLocalDescription({ type: 'rollback' });
  }

  /** Whether an offer of ours awaits its answer. */
  get awaitingAnswer(): boolean {
    return this.pc.signalingState === 'have-local-offer';
  }

  /** The SDP was reported: trickle the candidates gathered meanwhile that it does not already carry. */
  released(sdp: string): void {
    this.#holding = false;
    const held = this.#held;
    this.#held = [];
    for (const c of held) this.#emit(c, sdp);
  }

  /** A remote candidate (null or an empty candidate line = end of candidates). */
  async addRemoteCandidate(candidate: IceCandidate | null): Promise<void> {
    if (this.#closed) return;
    if (candidate === null) {
      await this.pc.addIceCandidate(null);
      return;
    }
    await this.pc.addIceCandidate({
      candidate: candidate.candidate,
      ...(candidate.sdpMid === null ? {} : { sdpMid: candidate.sdpMid }),
      ...(candidate.sdpMLineIndex === null ? {} : { sdpMLineIndex: candidate.sdpMLineIndex }),
      ...(candidate.usernameFragment === null ? {} : { usernameFragment: candidate.usernameFragment }),
    });
  }

  /** Closes the connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    await this.pc.close().catch(() => undefined);
    if (this.#state !== 'CLOSED') {
      this.#state = 'CLOSED';
      this.events.state('CLOSED');
    }
  }

  #localSdp(): string {
    return applyCandidatePolicyToSdp(this.pc.localDescription?.sdp ?? '', this.policy);
  }

  #onLocalCandidate(candidate: RawCandidate | null): void {
    if (this.#closed) return;
    if (this.#holding) this.#held.push(candidate);
    else this.#emit(candidate);
  }

  /** Trickles a candidate unless the policy drops it or `sdp` (just reported) already carries it. */
  #emit(candidate: RawCandidate | null, sdp?: string): void {
    if (candidate === null) {
      this.events.candidate(null);
      return;
    }
    const line = applyCandidatePolicy(candidate.candidate, this.policy);
    if (line === null || (sdp !== undefined && sdp.includes(line))) return;
    this.events.candidate({
      candidate: line,
      sdpMid: candidate.sdpMid ?? null,
      sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      usernameFragment: candidate.usernameFragment ?? null,
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`${this.transport} connection is closed`);
  }
}

/** The `a=fingerprint` value of an SDP, or null. */
export function fingerprintOf(sdp: string): string | null {
  const match = /^a=fingerprint:\S+ (\S+)/m.exec(sdp);
  return match?.[1] ?? null;
}
