import type { RoomEvent } from '@sig/schemas';

/** The room and highest room `seq` already sent on one connection. */
export interface SentSeq {
  readonly room: string;
  readonly seq: number;
}

/**
 * The events of a delivery record this connection has not been sent yet, and what it will then
 * have been sent. A delivery record can be in the log twice (after a broker restart a retried
 * produce was written again): the same `seq` must not reach a client twice on one connection.
 * Events of another room than the last one start afresh (a connection that left and joined another).
 */
export function unsentEvents(
  events: readonly RoomEvent[],
  room: string,
  sent: SentSeq | null,
): { readonly fresh: RoomEvent[]; readonly sent: SentSeq | null } {
  const floor = sent !== null && sent.room === room ? sent.seq : 0;
  const fresh = events.filter((e) => e.seq > floor);
  const last = fresh.at(-1);
  return { fresh, sent: last === undefined ? sent : { room, seq: Math.max(floor, last.seq) } };
}
