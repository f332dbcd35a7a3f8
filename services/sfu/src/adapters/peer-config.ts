/**
 * werift PeerConnection settings built from the SFU configuration: the codecs the SFU forwards
 * (Opus; VP8 and H.264 with RTX so NACKed packets are repaired), ICE addressing and servers.
 */
import {
  RTCRtpCodecParameters,
  useH264,
  useOPUS,
  useSdesMid,
  useVP8,
  type PeerConfig,
  type RTCIceServer,
} from 'werift';
import type { CandidatePolicy } from '../domain/index.js';
import type { SfuIceConfig } from '../config.js';

/** Fixed payload types: RTX refers to its primary codec by payload type (`apt`). */
const PT = { opus: 111, vp8: 96, vp8Rtx: 97, h264: 102, h264Rtx: 103 } as const;

function rtx(payloadType: number, apt: number): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90_000, payloadType, parameters: `apt=${apt}` });
}

/** Codecs of every SFU connection; fresh objects each call (werift mutates what it is given). */
export function sfuCodecs(): PeerConfig['codecs'] {
  return {
    audio: [useOPUS({ payloadType: PT.opus })],
    video: [
      useVP8({ payloadType: PT.vp8 }),
      rtx(PT.vp8Rtx, PT.vp8),
      useH264({ payloadType: PT.h264 }),
      rtx(PT.h264Rtx, PT.h264),
    ],
  };
}

/** werift's ICE server list from the configured URLs (werift uses the first STUN and first TURN entry). */
export function iceServers(ice: SfuIceConfig): RTCIceServer[] {
  const stun = ice.servers.filter((u) => u.startsWith('stun'));
  const turn = ice.servers.filter((u) => u.startsWith('turn'));
  const servers: RTCIceServer[] = [];
  if (stun.length > 0) servers.push({ urls: stun });
  if (turn.length > 0) {
    servers.push({
      urls: turn,
      ...(ice.username === undefined ? {} : { username: ice.username }),
      ...(ice.credential === undefined ? {} : { credential: ice.credential }),
    });
  }
  return servers;
}

/** The PeerConnection configuration of every SFU connection. */
export function peerConfig(ice: SfuIceConfig): Partial<PeerConfig> {
  const config: Partial<PeerConfig> = {
    codecs: sfuCodecs(),
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    // werift's default is a public Google STUN server: never contact anything not configured.
    iceServers: iceServers(ice),
    bundlePolicy: 'max-bundle',
    iceUseIpv6: ice.useIpv6 && ice.interfaceAddress === undefined,
    icePortRange: ice.portRange === undefined ? undefined : [ice.portRange[0], ice.portRange[1]],
  };
  const only = ice.interfaceAddress;
  if (only !== undefined) {
    // Bind the sockets to the address, gather it even if it is a loopback address, and never
    // pair from another one (werift still gathers other interfaces' addresses on those sockets).
    config.iceInterfaceAddresses = { udp4: only };
    config.iceAdditionalHostAddresses = [only];
    config.iceFilterCandidatePair = (pair) => pair.localCandidate.host === only;
  }
  return config;
}

/** What happens to local candidates before they are advertised. */
export function candidatePolicy(ice: SfuIceConfig): CandidatePolicy {
  return { onlyAddress: ice.interfaceAddress, announcedAddress: ice.announcedAddress };
}
