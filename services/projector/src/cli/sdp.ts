/** What an SDP is about, in one line: its media sections with their codecs and directions. */
export interface SdpSummary {
  readonly media: readonly { readonly kind: string; readonly codecs: readonly string[]; readonly direction: string }[];
}

/** Parses the media sections of an SDP (m= lines, a=rtpmap codecs, direction attributes). */
export function summariseSdp(sdp: string): SdpSummary {
  const media: { kind: string; codecs: string[]; direction: string }[] = [];
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^m=(\w+)\s/.exec(line);
    if (m) {
      media.push({ kind: m[1]!, codecs: [], direction: 'sendrecv' });
      continue;
    }
    const current = media.at(-1);
    const codec = /^a=rtpmap:\d+\s+([^/\s]+)/.exec(line);
    // Retransmission and FEC payloads are plumbing, not codecs an auditor cares about.
    if (codec && current && !/^(rtx|red|ulpfec|flexfec-03)$/i.test(codec[1]!) && !current.codecs.includes(codec[1]!)) {
      current.codecs.push(codec[1]!);
    }
    const dir = /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(line);
    if (dir && current) current.direction = dir[1]!;
  }
  return { media };
}

/** `audio(opus) sendrecv, video(VP8,H264) recvonly` — or `no media` for a data-only SDP. */
export function formatSdpSummary(sdp: string): string {
  const { media } = summariseSdp(sdp);
  if (media.length === 0) return 'no media';
  const tracks = media.filter((m) => m.kind === 'audio' || m.kind === 'video').length;
  const sections = media.map((m) => (m.codecs.length > 0 ? `${m.kind}(${m.codecs.join(',')}) ${m.direction}` : m.kind));
  return `${tracks} track${tracks === 1 ? '' : 's'}: ${sections.join(', ')}`;
}
