/** Wire values shared by the SDK's unit tests. */
import type { WireParticipant } from '@sig/schemas';

/** A connected participant as the server lists it. */
export const participant = (sessionId: string, identity: string): WireParticipant => ({
  sessionId,
  identity,
  name: identity,
  metadata: '',
  joinedAt: 0,
  status: 'connected',
  tracks: [],
});
