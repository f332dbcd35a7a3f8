/**
 * Copied from test/sfu/support/media-client.ts (test code is not part of any package build), with
 * the video raised to ≈500 kbit/s (two ~1 KB packets per frame at 30 fps) and sent packets counted
 * so the benchmark can compute loss. Keep the two in step when the media protocol changes.
 *
 * A simulated app in Node: a werift PUBLISHER connection sending an Opus and a VP8 track it
 * generates itself (small synthetic payloads at real rates: Opus silence at 50 packets/s, a
 * VP8 keyframe-like frame at 30 fps), and a SUBSCRIBER connection created on the SFU's first
 * offer, counting the RTP of every remote track. Signaling goes through the log as an edge
 * would write it (see signaling.ts).
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
import type { CommandBody, IceCandidate, MediaTransport, RoomEvent, TrackInfo } from '@sig/schemas';
import type { ClientAddress, Signaling } from './signaling.js';

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

/** The a=mid values of an SDP, in m-line order. */
function mids(sdp: string): (string | undefined)[] {
  return sdp
    .split(/\r?\nm=/)
    .slice(1)
    .map((section) => /\na=mid:(\S+)/.exec(section)?.[1]);
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
  readonly events: RoomEvent[] = [];
  /** SDP offers the SFU sent on the subscriber connection, in order. */
  readonly subscriberOffers: string[] = [];
  /** Remote track key (`<publisher session>/<track id>`) → packets. */
  readonly received = new Map<string, Received>();
  readonly trackIds: { audio: string; video: string };
  publishedAt = 0;
  /** Video RTP packets written into the published track. */
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

  constructor(
    readonly address: ClientAddress,
    private readonly room: string,
    private readonly signaling: Signaling,
    private readonly ice: Partial<PeerConfig> = loopbackIce(),
    readonly videoCodec: VideoCodec = 'VP8',
  ) {
    this.trackIds = { audio: `mic-${address.identity}`, video: `cam-${address.identity}` };
    signaling.attach(address, (event) => {
      this.events.push(event);
      this.#queue = this.#queue
        .then(() => this.#onEvent(event))
        .catch((error: unknown) => {
          this.errors.push(String(error));
        });
    });
  }

  /** Sends Join. */
  join(): Promise<void> {
    return this.#send({ type: 'Join', metadata: '', resume: null });
  }

  /** Sends Leave (the client keeps its connections open: the SFU must stop forwarding on its own). */
  leave(): Promise<void> {
    return this.#send({ type: 'Leave' });
  }

  /**
   * Opens a new PUBLISHER connection with an audio and a video track and sends Publish. Like a
   * browser, the offer goes out at once and candidates trickle as they are gathered (werift's
   * setLocalDescription only resolves once gathering is complete: `gathered` tells when).
   */
  async publish(): Promise<void> {
    const generation = ++this.#generation;
    const pc = new RTCPeerConnection(clientConfig(this.ice, [this.videoCodec]));
    this.publisher = pc;
    this.#audio = new MediaStreamTrack({ kind: 'audio' });
    this.#video = new MediaStreamTrack({ kind: 'video' });
    const stream = new MediaStream({ id: `stream-${this.address.identity}-${generation}` });
    const audio = pc.addTransceiver(this.#audio, { direction: 'sendonly', streams: [stream] });
    const video = pc.addTransceiver(this.#video, { direction: 'sendonly', streams: [stream] });
    // The MediaStreamTrack id a browser would announce (werift writes sender.trackId into a=msid).
    Object.assign(audio.sender, { trackId: this.trackIds.audio });
    Object.assign(video.sender, { trackId: this.trackIds.video });
    video.sender.onPictureLossIndication.subscribe(() => {
      if (this.publisher === pc) this.keyframeRequests++;
    });
    this.#trickle(pc, 'PUBLISHER');
    const offer = await pc.createOffer();
    const [audioMid, videoMid] = mids(offer.sdp);
    const tracks: TrackInfo[] = [
      { trackId: this.trackIds.audio, kind: 'AUDIO', source: 'MICROPHONE', muted: false, mid: audioMid ?? null },
      { trackId: this.trackIds.video, kind: 'VIDEO', source: 'CAMERA', muted: false, mid: videoMid ?? null },
    ];
    this.publishedAt = Date.now();
    await this.#send({ type: 'Publish', sdp: offer.sdp, tracks });
    this.gathered = this.#applyLocal(pc, offer);
  }

  /** Resolves when the current publisher connection finished gathering candidates. */
  gathered: Promise<void> = Promise.resolve();

  /** Starts generating RTP into the published tracks (Opus 50 packets/s, VP8 30 frames/s). */
  startMedia(): void {
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
        // Two packets per frame at 30 fps: 60 × ~1.05 KB ≈ 500 kbit/s.
        for (const marker of [false, true]) {
          if (!this.#video) return;
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
    await this.#send({ type: 'MediaSdp', transport: 'PUBLISHER', sdpType: 'OFFER', sdp: offer.sdp });
    this.gathered = this.#applyLocal(pc, offer);
  }

  /** Asks the SFU for an ICE restart (RestartIce). */
  restartIce(): Promise<void> {
    return this.#send({ type: 'RestartIce' });
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
    this.signaling.detach(this.address);
    await this.closeConnections();
  }

  // ---- signaling ------------------------------------------------------------------------

  async #onEvent(event: RoomEvent): Promise<void> {
    const body = event.body;
    if (body.type === 'JoinAccepted') {
      this.sessionId = body.self.sessionId;
      return;
    }
    if (body.type === 'MediaReset') {
      this.mediaResets++;
      await this.closeConnections();
      return;
    }
    if (body.type !== 'MediaSignal' || body.sessionId !== this.sessionId) return;
    const pc = body.transport === 'PUBLISHER' ? this.publisher : this.subscriber;
    switch (body.kind) {
      case 'ANSWER':
        if (body.transport !== 'PUBLISHER' || !this.publisher) return;
        await this.publisher.setRemoteDescription({ type: 'answer', sdp: body.sdp! });
        resumeIceAfterRestart(this.publisher);
        return;
      case 'OFFER':
        if (body.transport !== 'SUBSCRIBER') return;
        await this.#subscriberOffer(body.sdp!);
        return;
      case 'CANDIDATE':
        if (!pc || !body.candidate) return;
        await pc
          .addIceCandidate({
            candidate: body.candidate.candidate,
            ...(body.candidate.sdpMid === null ? {} : { sdpMid: body.candidate.sdpMid }),
            ...(body.candidate.sdpMLineIndex === null ? {} : { sdpMLineIndex: body.candidate.sdpMLineIndex }),
          })
          .catch(() => undefined);
        return;
      case 'END_OF_CANDIDATES':
      case 'UNKNOWN':
        return;
    }
  }

  async #subscriberOffer(sdp: string): Promise<void> {
    this.subscriberOffers.push(sdp);
    let pc = this.subscriber;
    if (!pc) {
      pc = new RTCPeerConnection(clientConfig(this.ice, ['VP8', 'H264']));
      this.subscriber = pc;
      this.#trickle(pc, 'SUBSCRIBER');
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
    await this.#send({ type: 'MediaSdp', transport: 'SUBSCRIBER', sdpType: 'ANSWER', sdp: answer.sdp });
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
  #trickle(pc: RTCPeerConnection, transport: MediaTransport): void {
    pc.onIceCandidate.subscribe((c) => {
      if (this.publisher !== pc && this.subscriber !== pc) return;
      const candidate: IceCandidate | null = c
        ? {
            candidate: c.candidate,
            sdpMid: c.sdpMid ?? null,
            sdpMLineIndex: c.sdpMLineIndex ?? null,
            usernameFragment: c.usernameFragment ?? null,
          }
        : null;
      if (candidate) this.localCandidates.push(candidate.candidate);
      void this.#send({ type: 'MediaCandidate', transport, candidate });
    });
  }

  #send(body: CommandBody): Promise<void> {
    return this.signaling.send(this.room, this.address, body);
  }
}
