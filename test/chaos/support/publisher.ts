/**
 * Publishing through the SFU over the WebSocket, as an app does: a werift publisher connection
 * offers one audio track, `publish {sdp, tracks}` goes to the edge, the SFU's answer comes back as
 * `media_signal {transport: "publisher", kind: "answer"}`. On `media_reset` (the worker serving the
 * room is gone) the app publishes again on a new connection. The fault suite checks signaling
 * (answer, reset, new answer); media flow itself is test/sfu/failover.int.test.ts's job.
 */
import { MediaStreamTrack, RTCPeerConnection, useOPUS, useSdesMid } from 'werift';
import { loopbackIce } from '@sig/media-peer';
import type { ChaosClient } from './chaos-client.js';

type Msg = Record<string, unknown> & { type: string };

export class Publisher {
  answers = 0;
  resets = 0;
  readonly trackId: string;
  #pc: RTCPeerConnection | undefined;

  constructor(readonly client: ChaosClient) {
    this.trackId = `${client.identity}-audio`;
  }

  /** Feed it every room message of its client. */
  onMessage(m: Msg): void {
    if (m.type === 'media_reset') this.resets++;
    if (m.type === 'media_signal' && m['transport'] === 'publisher' && m['kind'] === 'answer') {
      this.answers++;
      const pc = this.#pc;
      if (pc !== undefined && typeof m['sdp'] === 'string') {
        pc.setRemoteDescription({ type: 'answer', sdp: m['sdp'] }).catch(() => undefined);
      }
    }
  }

  /** Offers a new publisher connection (closing the previous one) and sends `publish`. */
  async publish(): Promise<void> {
    await this.#pc?.close();
    const pc = new RTCPeerConnection({
      ...loopbackIce(),
      bundlePolicy: 'max-bundle',
      codecs: { audio: [useOPUS({ payloadType: 111 })], video: [] },
      headerExtensions: { audio: [useSdesMid()], video: [] },
    });
    this.#pc = pc;
    const transceiver = pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    // The MediaStreamTrack id a browser would announce (werift writes sender.trackId into a=msid).
    Object.assign(transceiver.sender, { trackId: this.trackId });
    const offer = await pc.createOffer();
    void pc.setLocalDescription(offer).catch(() => undefined);
    this.client.request({
      type: 'publish',
      sdp: offer.sdp,
      tracks: [{ trackId: this.trackId, kind: 'audio', source: 'microphone' }],
    });
  }

  async close(): Promise<void> {
    await this.#pc?.close();
    this.#pc = undefined;
  }
}
