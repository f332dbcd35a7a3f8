/**
 * A minimal app publishing one microphone track through the edge: a werift PUBLISHER connection
 * whose offer carries all its (loopback) candidates, so no trickle is needed, and Opus silence
 * at 50 packets/s once connected.
 */
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS, useSdesMid } from 'werift';
import { loopbackIce } from '@sig/media-peer';

const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

/** One publisher connection. */
export class Publisher {
  readonly trackId: string;
  readonly #pc: RTCPeerConnection;
  readonly #track = new MediaStreamTrack({ kind: 'audio' });
  #timer: NodeJS.Timeout | undefined;

  constructor(identity: string) {
    this.trackId = `mic-${identity}`;
    this.#pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      codecs: { audio: [useOPUS({ payloadType: 111 })], video: [] },
      headerExtensions: { audio: [useSdesMid()], video: [] },
      ...loopbackIce(),
    });
    const transceiver = this.#pc.addTransceiver(this.#track, { direction: 'sendonly' });
    Object.assign(transceiver.sender, { trackId: this.trackId });
  }

  /** The `publish` message: the offer once gathering completed. */
  async publishMessage(id: string): Promise<Record<string, unknown>> {
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    const sdp = this.#pc.localDescription?.sdp;
    if (sdp === undefined) throw new Error('no local description');
    return { type: 'publish', id, sdp, tracks: [{ trackId: this.trackId, kind: 'audio', source: 'microphone' }] };
  }

  /** Applies the SFU's answer and starts sending audio. */
  async accept(answer: string): Promise<void> {
    await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer });
    let seq = 1000;
    let ts = 0;
    this.#timer = setInterval(() => {
      ts = (ts + 960) >>> 0;
      this.#track.writeRtp(
        new RtpPacket(
          new RtpHeader({ payloadType: 111, sequenceNumber: seq++ & 0xffff, timestamp: ts, marker: true }),
          OPUS_SILENCE,
        ),
      );
    }, 20);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#pc.close();
  }
}
