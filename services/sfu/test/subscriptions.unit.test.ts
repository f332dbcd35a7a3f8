import { describe, expect, it } from 'vitest';
import { SubscriptionBook, subscribersOf, trackKey, type Link } from '../src/domain/subscriptions.js';

const cam = (publisher: string) => ({ publisherSessionId: publisher, trackId: 'cam', kind: 'VIDEO' as const });
const mic = (publisher: string) => ({ publisherSessionId: publisher, trackId: 'mic', kind: 'AUDIO' as const });
const ref = (publisher: string, trackId: string) => ({ publisherSessionId: publisher, trackId });
const pairs = (links: readonly Link[]) =>
  links.map((l) => `${l.subscriberSessionId}<-${trackKey(l.track.publisherSessionId, l.track.trackId)}`).sort();

describe('SubscriptionBook: who receives what', () => {
  it('a subscription made before the track arrives attaches when it arrives', () => {
    const book = new SubscriptionBook();
    // The projector sends PublishOffer and the others' SubscribeTracks in one decision.
    expect(book.subscribe('bob', [ref('alice', 'cam'), ref('alice', 'mic')])).toEqual([]);
    expect(book.subscribe('carol', [ref('alice', 'cam')])).toEqual([]);
    expect(pairs(book.publish(cam('alice')))).toEqual(['bob<-alice/cam', 'carol<-alice/cam']);
    expect(pairs(book.publish(mic('alice')))).toEqual(['bob<-alice/mic']);
    expect(book.attachedTo('bob').sort()).toEqual(['alice/cam', 'alice/mic']);
  });

  it('a subscription to an arrived track attaches at once, and only once', () => {
    const book = new SubscriptionBook();
    book.publish(cam('alice'));
    expect(pairs(book.subscribe('bob', [ref('alice', 'cam')]))).toEqual(['bob<-alice/cam']);
    expect(book.subscribe('bob', [ref('alice', 'cam')])).toEqual([]);
    expect(book.publish(cam('alice'))).toEqual([]);
  });

  it("never forwards a participant's own track back to it", () => {
    const book = new SubscriptionBook();
    book.publish(cam('alice'));
    expect(book.subscribe('alice', [ref('alice', 'cam')])).toEqual([]);
    expect(book.attachedTo('alice')).toEqual([]);
  });

  it('unsubscribe detaches only what was attached', () => {
    const book = new SubscriptionBook();
    book.publish(cam('alice'));
    book.subscribe('bob', [ref('alice', 'cam'), ref('alice', 'mic')]);
    expect(pairs(book.unsubscribe('bob', [ref('alice', 'cam'), ref('alice', 'mic')]))).toEqual(['bob<-alice/cam']);
    // No longer wanted: a later arrival of the mic does not attach it.
    expect(book.publish(mic('alice'))).toEqual([]);
  });

  it('a leaver is removed from every subscriber, and its own subscriptions are forgotten', () => {
    const book = new SubscriptionBook();
    for (const p of ['alice', 'bob', 'carol']) {
      book.publish(cam(p));
      book.publish(mic(p));
    }
    for (const s of ['alice', 'bob', 'carol']) {
      book.subscribe(
        s,
        ['alice', 'bob', 'carol'].filter((p) => p !== s).flatMap((p) => [ref(p, 'cam'), ref(p, 'mic')]),
      );
    }
    const links = book.removeSession('carol');
    expect(pairs(links)).toEqual(['alice<-carol/cam', 'alice<-carol/mic', 'bob<-carol/cam', 'bob<-carol/mic']);
    expect(subscribersOf(links)).toEqual(['alice', 'bob']);
    expect(book.attachedTo('carol')).toEqual([]);
    expect(book.wantedBy('alice').sort()).toEqual(['bob/cam', 'bob/mic']);
    // Carol's tracks are no longer wanted by anyone: her coming back does not resubscribe others.
    expect(book.publish(cam('carol'))).toEqual([]);
  });

  it('a publisher that re-publishes the same track (new connection) is attached again to who still wants it', () => {
    const book = new SubscriptionBook();
    book.publish(cam('alice'));
    book.subscribe('bob', [ref('alice', 'cam')]);
    expect(pairs(book.unpublish('alice', 'cam'))).toEqual(['bob<-alice/cam']);
    expect(book.wantedBy('bob')).toEqual(['alice/cam']);
    expect(pairs(book.publish(cam('alice')))).toEqual(['bob<-alice/cam']);
  });

  it('unpublished tracks (room-wide) leave everyone and are no longer wanted', () => {
    const book = new SubscriptionBook();
    book.publish(cam('alice'));
    book.subscribe('bob', [ref('alice', 'cam')]);
    book.subscribe('carol', [ref('alice', 'cam')]);
    expect(pairs(book.dropTracks([ref('alice', 'cam')]))).toEqual(['bob<-alice/cam', 'carol<-alice/cam']);
    expect(book.publish(cam('alice'))).toEqual([]);
    expect(book.receiversOf('alice', 'cam')).toEqual([]);
  });
});
