/**
 * Which announced track (Publish.tracks) an incoming m-line of the publisher's offer carries.
 * Browsers put the MediaStreamTrack id in `a=msid`, clients may announce the transceiver mid,
 * and some announce neither reliably; the match tries the strongest evidence first.
 */
import type { TrackInfo, TrackKind } from '@sig/schemas';

/** What werift tells about an incoming track. */
export interface IncomingMedia {
  readonly kind: TrackKind;
  readonly mid: string | null;
  /** Track id from `a=msid:<stream> <track>`, if the offer had one. */
  readonly msidTrackId: string | null;
}

/** werift's kind string as a schema TrackKind. */
export function trackKind(kind: string): TrackKind {
  return kind === 'audio' ? 'AUDIO' : kind === 'video' ? 'VIDEO' : 'UNKNOWN';
}

/**
 * The announced track for `media`, among `announced` minus `taken` (track ids already matched to
 * other m-lines): same mid, else same msid track id, else the first unmatched track of the same
 * kind in announcement order. An unannounced track keeps its msid id (or `mid-<mid>`).
 */
export function matchTrack(
  media: IncomingMedia,
  announced: readonly TrackInfo[],
  taken: ReadonlySet<string>,
): { trackId: string; announced: boolean } {
  const free = announced.filter((t) => !taken.has(t.trackId));
  const byMid = media.mid === null ? undefined : free.find((t) => t.mid !== null && t.mid === media.mid);
  const byMsid = media.msidTrackId === null ? undefined : free.find((t) => t.trackId === media.msidTrackId);
  const byKind = free.find((t) => t.kind === media.kind && (t.mid === null || t.mid === media.mid));
  const hit = byMid ?? byMsid ?? byKind;
  if (hit) return { trackId: hit.trackId, announced: true };
  return { trackId: media.msidTrackId ?? `mid-${media.mid ?? 'unknown'}`, announced: false };
}
