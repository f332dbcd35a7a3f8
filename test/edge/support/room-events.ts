/** Room events and participants as the projector would write them, for tests that feed an edge directly. */
import { AvroCodec, type RoomEvent, type RoomEventBody } from '@sig/schemas';
import { randomId } from '../../support/ids.js';
import { schemas } from './kafka-tap.js';

const eventCodec = new AvroCodec(schemas, 'signal.RoomEvent');

/** A connected participant of a `joined`/`ParticipantJoined` body. */
export const participant = (sessionId: string, identity: string) => ({
  sessionId,
  identity,
  name: identity,
  metadata: '',
  joinedAt: Date.now(),
  tracks: [],
  status: 'CONNECTED' as const,
});

/** An encoded room event addressed to the whole room. */
export function roomEvent(room: string, seq: number, body: RoomEventBody, requestId: string | null = null): Buffer {
  const event: RoomEvent = {
    room,
    seq,
    at: Date.now(),
    causation: { commandId: randomId('cmd'), requestId, sessionId: null },
    audience: { type: 'AudienceRoom', exclude: [] },
    body,
  };
  return eventCodec.encode(event);
}
