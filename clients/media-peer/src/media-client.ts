/**
 * A simulated app in Node: a werift PUBLISHER connection sending an Opus and a VP8 track it
 * generates itself (small synthetic payloads at real rates: Opus silence at 50 packets/s, a
 * VP8 keyframe-like frame at 30 fps), and a SUBSCRIBER connection created on the SFU's first
 * offer, counting the RTP of every remote track. Signaling is the client WebSocket protocol
 * through a real edge (edge-link.ts), as a browser app speaks it. The SFU integration tests
 * (test/sfu) and the SFU benchmark (bench/src/scenarios/sfu.ts, at ≈500 kbit/s) both drive it.
 */
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useH264,
  useOPUS,
  useSdesMid,
  useVP8,
  type PeerConfig,
  type RTCRtpTransceiver,
  type RTCSessionDescription,
} from 'werift';
import type { ServerMessage, WireIceCandidate, WireIceServer, WireMediaTransport } from '@sig/schemas';
import type { EdgeLink, Request } from './edge-link.js';
import { until } from './until.js';

/** ICE settings of test clients: loopback only, no public STUN (werift's default). */
export function loopbackIce(): Partial<PeerConfig> {
  return {
    iceServers: [],
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1',
  };
}

/** Video codecs a client can publish. */
export type VideoCodec = 'VP8' | 'H264';

const rtx = (payloadType: number, apt: number) =>
  new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90_000, payloadType, parameters: `apt=${apt}` });

/** Publisher connections offer one video codec; subscriber connections accept both. */
function clientConfig(ice: Partial<PeerConfig>, video: readonly VideoCodec[]): Partial<PeerConfig> {
  const codecs = video.flatMap((c) =>
    c === 'VP8' ? [useVP8({ payloadType: 96 }), rtx(97, 96)] : [useH264({ payloadType: 102 }), rtx(103, 102)],
  );
  return {
    bundlePolicy: 'max-bundle',
    codecs: { audio: [useOPUS({ payloadType: 111 })], video: codecs },
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    ...ice,
  };
}

/**
 * werift 0.25 does not run connectivity checks again after an ICE restart while DTLS is up (the
 * SFU works around it the same way; browsers do not need this).
 */
function resumeIceAfterRestart(pc: RTCPeerConnection): void {
  for (const transport of pc.iceTransports) {
    if (transport.iceRestarts > 0 && transport.connection.nominated === undefined && transport.state !== 'checking') {
      transport.start().catch(() => undefined);
    }
  }
}

/** RTP received from one remote track. */
export interface Received {
  packets: number;
  firstAt: number;
  lastAt: number;
  /** Negotiated codec of the track, e.g. `video/VP8`. */
  codec: string | undefined;
}

const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
// VP8 payload descriptor (S=1, partition 0) + keyframe tag and start code + 640x480, then filler.
const VP8_KEYFRAME = Buffer.concat([
  Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]),
  Buffer.alloc(1000, 0x5a),
]);
// One H.264 IDR NAL unit (single NAL unit packet, nal_unit_type 5), then filler.
const H264_IDR = Buffer.concat([Buffer.from([0x65, 0x88, 0x84, 0x00]), Buffer.alloc(1000, 0x5a)]);

/** One participant with media. */
export class MediaClient {
  sessionId: string | null = null;
  publisher: RTCPeerConnection | null = null;
  subscriber: RTCPeerConnection | null = null;
  /** Server messages other than acks and pings, in arrival order. */
  readonly messages: ServerMessage[] = [];
  /** ICE servers of the `joined` answer (TURN with short-lived credentials when configured). */
  iceServers: readonly WireIceServer[] = [];
  /** SDP offers the SFU sent on the subscriber connection, in order. */
  readonly subscriberOffers: string[] = [];
  /** Remote track key (`<publisher session>/<track id>`) → packets. */
  readonly received = new Map<string, Received>();
  readonly trackIds: { audio: string; video: string };
  publishedAt = 0;
  /** Video RTP packets written into the published track (the benchmark computes loss from it). */
  videoSent = 0;
  mediaResets = 0;
  /** Keyframe requests (PLI) that reached the published video track. */
  keyframeRequests = 0;
  /** Local candidates trickled so far. */
  readonly localCandidates: string[] = [];
  /** Errors the client hit applying what the SFU sent (a test failure if not empty). */
  readonly errors: string[] = [];
  #queue: Promise<void> = Promise.resolve();
  #audio: MediaStreamTrack | null = null;
  #video: MediaStreamTrack | null = null;
  #timers: NodeJS.Timeout[] = [];
  #generation = 0;

  /**
   * `ice` is the client's ICE configuration, or a function of the `joined` answer's ICE servers
   * (how an app uses the TURN credentials the server hands out).
   */
  constructor(
    readonly link: EdgeLink,
    private readonly room: string,
    private readonly ice:
      Partial<PeerConfig> | ((servers: readonly WireIceServer[]) => Partial<PeerConfig>) = loopbackIce(),
    readonly videoCodec: VideoCodec = 'VP8',
  ) {
    this.identity = link.identity;
    this.trackIds = { audio: `mic-${this.identity}`, video: `cam-${this.identity}` };
    link.onMessage((message) => {
      this.messages.push(message);
      this.#queue = this.#queue
        .then(() => this.#onMessage(message))
        .catch((error: unknown) => {
          this.errors.push(String(error));
        });
    });
  }

  readonly identity: string;

  /** Sends `join` and waits for `joined`. */
  async join(): Promise<void> {
    await this.#send({ type: 'join', room: this.room });
    await until(
      () => this.sessionId !== null || this.messages.some((m) => m.type === 'error'),
      `${this.identity} gets joined`,
    );
    if (this.sessionId === null) throw new Error(`${this.identity} could not join: ${JSON.stringify(this.messages)}`);
  }

  /** Sends `leave` (the client keeps its connections open: the SFU must stop forwarding on its own). */
  leave(): Promise<void> {
    return this.#send({ type: 'leave' });
  }

  /**
   * Opens a new PUBLISHER connection with an audio and a video track and sends Publish. Like a
   * browser, the offer goes out at once and candidates trickle as they are gathered (werift's
   * setLocalDescription only resolves once gathering is complete: `gathered` tells when).
   */
  async publish(): Promise<void> {
    const generation = ++this.#generation;
    const pc = new RTCPeerConnection(clientConfig(this.#ice(), [this.videoCodec]));
    this.publisher = pc;
    this.#audio = new MediaStreamTrack({ kind: 'audio' });
    this.#video = new MediaStreamTrack({ kind: 'video' });
    const stream = new MediaStream({ id: `stream-${this.identity}-${generation}` });
    const audio = pc.addTransceiver(this.#audio, { direction: 'sendonly', streams: [stream] });
    const video = pc.addTransceiver(this.#video, { direction: 'sendonly', streams: [stream] });
    // The MediaStreamTrack id a browser would announce (werift writes sender.trackId into a=msid).
    Object.assign(audio.sender, { trackId: this.trackIds.audio });
    Object.assign(video.sender, { trackId: this.trackIds.video });
    video.sender.onPictureLossIndication.subscribe(() => {
      if (this.publisher === pc) this.keyframeRequests++;
    });
    this.#trickle(pc, 'publisher');
    const offer = await pc.createOffer();
    this.publishedAt = Date.now();
    await this.#send({
      type: 'publish',
      sdp: offer.sdp,
      tracks: [
        { trackId: this.trackIds.audio, kind: 'audio', source: 'microphone' },
        { trackId: this.trackIds.video, kind: 'video', source: 'camera' },
      ],
    });
    this.gathered = this.#applyLocal(pc, offer);
  }

  /** Resolves when the current publisher connection finished gathering candidates. */
  gathered: Promise<void> = Promise.resolve();

  /**
   * Starts generating RTP into the published tracks: Opus 50 packets/s, video 30 frames/s of
   * `videoPacketsPerFrame` ~1 KB packets (1 ≈ 250 kbit/s, what the tests need; the benchmark
   * sends 2 ≈ 500 kbit/s).
   */
  startMedia({ videoPacketsPerFrame = 1 }: { readonly videoPacketsPerFrame?: number } = {}): void {
    this.stopMedia();
    let seqA = Math.floor(Math.random() * 60_000);
    let seqV = Math.floor(Math.random() * 60_000);
    let tsA = Math.floor(Math.random() * 1e9);
    let tsV = Math.floor(Math.random() * 1e9);
    this.#timers.push(
      setInterval(() => {
        tsA = (tsA + 960) >>> 0;
        this.#audio?.writeRtp(
          new RtpPacket(
            new RtpHeader({ payloadType: 111, sequenceNumber: seqA++ & 0xffff, timestamp: tsA, marker: true }),
            OPUS_SILENCE,
          ),
        );
      }, 20),
      setInterval(() => {
        tsV = (tsV + 3000) >>> 0;
        const [pt, payload] = this.videoCodec === 'VP8' ? [96, VP8_KEYFRAME] : [102, H264_IDR];
        for (let i = 1; i <= videoPacketsPerFrame; i++) {
          if (!this.#video) return;
          const marker = i === videoPacketsPerFrame;
          this.#video.writeRtp(
            new RtpPacket(
              new RtpHeader({ payloadType: pt, sequenceNumber: seqV++ & 0xffff, timestamp: tsV, marker }),
              payload,
            ),
          );
          this.videoSent++;
        }
      }, 33),
    );
  }

  stopMedia(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  /** Packets received so far from `publisherSessionId`'s track. */
  packetsFrom(publisherSessionId: string, trackId: string): number {
    return this.received.get(`${publisherSessionId}/${trackId}`)?.packets ?? 0;
  }

  /** Restarts ICE on the PUBLISHER connection: a new offer (same connection) through MediaSdp. */
  async restartPublisherIce(): Promise<void> {
    const pc = this.publisher;
    if (!pc) throw new Error('no publisher connection');
    const offer = await pc.createOffer({ iceRestart: true });
    await this.#send({ type: 'media_sdp', transport: 'publisher', sdpType: 'offer', sdp: offer.sdp });
    this.gathered = this.#applyLocal(pc, offer);
  }

  /** Asks the SFU for an ICE restart (`restart_ice`). */
  restartIce(): Promise<void> {
    return this.#send({ type: 'restart_ice' });
  }

  /** Sends a keyframe request (PLI) for the remote video track of `publisherSessionId`, as a decoder would. */
  async requestKeyframe(publisherSessionId: string, trackId: string): Promise<void> {
    const t = this.subscriber
      ?.getTransceivers()
      .find((x) => x.receiver.remoteStreamId === publisherSessionId && x.receiver.remoteTrackId === trackId);
    const ssrc = t?.receiver.track.ssrc;
    if (!t || ssrc === undefined)
      throw new Error(`no video from ${publisherSessionId}/${trackId} to request a keyframe for`);
    await t.receiver.sendRtcpPLI(ssrc);
  }

  /** Closes both connections (as on MediaReset). */
  async closeConnections(): Promise<void> {
    const pcs = [this.publisher, this.subscriber].filter((pc): pc is RTCPeerConnection => pc !== null);
    this.publisher = null;
    this.subscriber = null;
    await Promise.all(pcs.map((pc) => pc.close().catch(() => undefined)));
  }

  async close(): Promise<void> {
    this.stopMedia();
    this.link.close();
    await this.closeConnections();
  }

  // ---- signaling ------------------------------------------------------------------------

  async #onMessage(message: ServerMessage): Promise<void> {
    if (message.type === 'joined') {
      this.sessionId = message.sessionId;
      this.iceServers = message.iceServers;
      return;
    }
    if (message.type === 'media_reset') {
      this.mediaResets++;
      await this.closeConnections();
      return;
    }
    if (message.type !== 'media_signal') return;
    const pc = message.transport === 'publisher' ? this.publisher : this.subscriber;
    switch (message.kind) {
      case 'answer':
        if (message.transport !== 'publisher' || !this.publisher) return;
        await this.publisher.setRemoteDescription({ type: 'answer', sdp: message.sdp! });
        resumeIceAfterRestart(this.publisher);
        return;
      case 'offer':
        if (message.transport !== 'subscriber') return;
        await this.#subscriberOffer(message.sdp!);
        return;
      case 'candidate': {
        const c = message.candidate;
        if (!pc || !c) return;
        await pc
          .addIceCandidate({
            candidate: c.candidate,
            ...(c.sdpMid == null ? {} : { sdpMid: c.sdpMid }),
            ...(c.sdpMLineIndex == null ? {} : { sdpMLineIndex: c.sdpMLineIndex }),
          })
          .catch(() => undefined);
        return;
      }
      case 'end_of_candidates':
        return;
    }
  }

  async #subscriberOffer(sdp: string): Promise<void> {
    this.subscriberOffers.push(sdp);
    let pc = this.subscriber;
    if (!pc) {
      pc = new RTCPeerConnection(clientConfig(this.#ice(), ['VP8', 'H264']));
      this.subscriber = pc;
      this.#trickle(pc, 'subscriber');
      const sub = pc;
      pc.ontrack = ({ track, transceiver }) => {
        // One listener per receiver track; the key is read per packet because a reused m-line
        // carries another publisher's track after a renegotiation.
        if ((track as { counted?: boolean }).counted) return;
        Object.assign(track, { counted: true });
        track.onReceiveRtp.subscribe(() => {
          if (this.subscriber !== sub) return;
          this.#count(transceiver);
        });
      };
    }
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await this.#send({ type: 'media_sdp', transport: 'subscriber', sdpType: 'answer', sdp: answer.sdp });
    // Not awaited: gathering may take long (TURN), later events must not wait for it.
    void this.#applyLocal(pc, answer).then(() => resumeIceAfterRestart(pc));
  }

  /** setLocalDescription, with failures recorded (a closed connection is not a failure). */
  async #applyLocal(pc: RTCPeerConnection, description: RTCSessionDescription): Promise<void> {
    try {
      await pc.setLocalDescription(description);
    } catch (error) {
      if (this.publisher === pc || this.subscriber === pc) this.errors.push(`setLocalDescription: ${String(error)}`);
    }
  }

  #count(transceiver: RTCRtpTransceiver): void {
    const { remoteStreamId, remoteTrackId } = transceiver.receiver;
    if (remoteStreamId === undefined || remoteTrackId === undefined) return;
    const key = `${remoteStreamId}/${remoteTrackId}`;
    const now = Date.now();
    const r = this.received.get(key);
    if (r) {
      r.packets++;
      r.lastAt = now;
    } else
      this.received.set(key, {
        packets: 1,
        firstAt: now,
        lastAt: now,
        codec: transceiver.receiver.track.codec?.mimeType,
      });
  }

  /** Local candidates trickle to the SFU (the SDP was sent before gathering started). */
  #trickle(pc: RTCPeerConnection, transport: WireMediaTransport): void {
    pc.onIceCandidate.subscribe((c) => {
      if (this.publisher !== pc && this.subscriber !== pc) return;
      const candidate: WireIceCandidate | null = c
        ? {
            candidate: c.candidate,
            ...(c.sdpMid === undefined ? {} : { sdpMid: c.sdpMid }),
            ...(c.sdpMLineIndex === undefined ? {} : { sdpMLineIndex: c.sdpMLineIndex }),
            ...(c.usernameFragment === undefined ? {} : { usernameFragment: c.usernameFragment }),
          }
        : null;
      if (candidate) this.localCandidates.push(candidate.candidate);
      this.#send({ type: 'media_candidate', transport, candidate }).catch((error: unknown) => {
        if (this.link.isOpen) this.errors.push(`media_candidate: ${String(error)}`);
      });
    });
  }

  #ice(): Partial<PeerConfig> {
    return typeof this.ice === 'function' ? this.ice(this.iceServers) : this.ice;
  }

  #send(message: Request): Promise<void> {
    return this.link.request(message);
  }
}
