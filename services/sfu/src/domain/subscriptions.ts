/**
 * Who publishes what and who receives what in one room: the SFU's routing table. Pure
 * bookkeeping (no werift, no Kafka): every change returns the forwarding links to create or
 * remove, and the adapter applies them to PeerConnections.
 *
 * A subscription is *wanted* (the projector asked for it) and *attached* once the publisher's
 * track has actually arrived on the SFU. Subscriptions often arrive first: the projector emits
 * PublishOffer and the others' SubscribeTracks in the same decision, before ICE has even started.
 */
import type { TrackKind, TrackRef } from '@sig/schemas';

/** A publisher track that arrived on the SFU (its RTP can be forwarded). */
export interface PublishedTrack {
  readonly publisherSessionId: string;
  readonly trackId: string;
  readonly kind: TrackKind;
}

/** One forwarding link: `track` sent to `subscriberSessionId`. */
export interface Link {
  readonly subscriberSessionId: string;
  readonly track: PublishedTrack;
}

/** Key of a track: track ids are only unique per publisher. */
export function trackKey(publisherSessionId: string, trackId: string): string {
  return `${publisherSessionId}/${trackId}`;
}

/** The distinct subscribers of a list of links, in first-seen order (one renegotiation each). */
export function subscribersOf(links: readonly Link[]): string[] {
  return [...new Set(links.map((l) => l.subscriberSessionId))];
}

/** The routing table of one room. */
export class SubscriptionBook {
  readonly #published = new Map<string, PublishedTrack>();
  readonly #wanted = new Map<string, Set<string>>();
  readonly #attached = new Map<string, Set<string>>();

  /** A publisher track arrived: links to every subscriber that wants it. */
  publish(track: PublishedTrack): Link[] {
    const key = trackKey(track.publisherSessionId, track.trackId);
    if (this.#published.has(key)) return [];
    this.#published.set(key, track);
    const links: Link[] = [];
    for (const [subscriber, wanted] of this.#wanted) {
      if (wanted.has(key) && subscriber !== track.publisherSessionId) links.push(this.#attach(subscriber, track));
    }
    return links;
  }

  /** A publisher track is gone (unpublished, its connection closed): links to remove. Subscriptions stay wanted. */
  unpublish(publisherSessionId: string, trackId: string): Link[] {
    const key = trackKey(publisherSessionId, trackId);
    const track = this.#published.get(key);
    if (!track) return [];
    this.#published.delete(key);
    const links: Link[] = [];
    for (const [subscriber, attached] of this.#attached) {
      if (attached.delete(key)) links.push({ subscriberSessionId: subscriber, track });
    }
    return links;
  }

  /** The participant wants these tracks: links for those already published (one's own tracks are never forwarded back). */
  subscribe(subscriberSessionId: string, refs: readonly TrackRef[]): Link[] {
    const wanted = this.#wantedOf(subscriberSessionId);
    const links: Link[] = [];
    for (const ref of refs) {
      if (ref.publisherSessionId === subscriberSessionId) continue;
      const key = trackKey(ref.publisherSessionId, ref.trackId);
      wanted.add(key);
      const track = this.#published.get(key);
      if (track && !this.isAttached(subscriberSessionId, key)) links.push(this.#attach(subscriberSessionId, track));
    }
    return links;
  }

  /** The participant no longer wants these tracks: links to remove. */
  unsubscribe(subscriberSessionId: string, refs: readonly TrackRef[]): Link[] {
    const links: Link[] = [];
    for (const ref of refs) {
      const key = trackKey(ref.publisherSessionId, ref.trackId);
      this.#wanted.get(subscriberSessionId)?.delete(key);
      const track = this.#published.get(key);
      if (track && this.#attached.get(subscriberSessionId)?.delete(key)) links.push({ subscriberSessionId, track });
    }
    return links;
  }

  /** Room-wide removal of tracks (unpublish): nobody wants them any more. */
  dropTracks(refs: readonly TrackRef[]): Link[] {
    const links: Link[] = [];
    for (const ref of refs) {
      const key = trackKey(ref.publisherSessionId, ref.trackId);
      for (const wanted of this.#wanted.values()) wanted.delete(key);
      links.push(...this.unpublish(ref.publisherSessionId, ref.trackId));
    }
    return links;
  }

  /**
   * The participant is gone: its tracks are removed from every other subscriber (returned), its
   * own subscriptions are forgotten (its subscriber connection closes with it), and nobody keeps
   * wanting its tracks.
   */
  removeSession(sessionId: string): Link[] {
    const links: Link[] = [];
    for (const track of this.publishedBy(sessionId)) {
      links.push(...this.unpublish(sessionId, track.trackId));
    }
    const prefix = `${sessionId}/`;
    for (const wanted of this.#wanted.values()) {
      for (const key of wanted) if (key.startsWith(prefix)) wanted.delete(key);
    }
    this.#wanted.delete(sessionId);
    this.#attached.delete(sessionId);
    return links.filter((l) => l.subscriberSessionId !== sessionId);
  }

  /** Tracks the participant has published and that arrived. */
  publishedBy(sessionId: string): PublishedTrack[] {
    return [...this.#published.values()].filter((t) => t.publisherSessionId === sessionId);
  }

  /** Keys of the tracks forwarded to the participant now. */
  attachedTo(sessionId: string): string[] {
    return [...(this.#attached.get(sessionId) ?? [])];
  }

  /** Keys of the tracks the participant wants, arrived or not. */
  wantedBy(sessionId: string): string[] {
    return [...(this.#wanted.get(sessionId) ?? [])];
  }

  /** Sessions the track is forwarded to now. */
  receiversOf(publisherSessionId: string, trackId: string): string[] {
    const key = trackKey(publisherSessionId, trackId);
    return [...this.#attached].filter(([, keys]) => keys.has(key)).map(([s]) => s);
  }

  isAttached(subscriberSessionId: string, key: string): boolean {
    return this.#attached.get(subscriberSessionId)?.has(key) ?? false;
  }

  #wantedOf(sessionId: string): Set<string> {
    let set = this.#wanted.get(sessionId);
    if (!set) {
      set = new Set();
      this.#wanted.set(sessionId, set);
    }
    return set;
  }

  #attach(subscriberSessionId: string, track: PublishedTrack): Link {
    let set = this.#attached.get(subscriberSessionId);
    if (!set) {
      set = new Set();
      this.#attached.set(subscriberSessionId, set);
    }
    set.add(trackKey(track.publisherSessionId, track.trackId));
    return { subscriberSessionId, track };
  }
}
