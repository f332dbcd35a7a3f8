/**
 * The wire protocol as the SDK sees it. Types come from @sig/schemas (the TypeBox definitions the
 * edge validates with) as type-only imports, erased at build time, so that no schema or Avro code
 * ends up in a browser bundle. The few runtime values the SDK needs are restated here, and a unit
 * test checks them against @sig/schemas.
 */
import type {
  ClientMessage,
  ServerError,
  ServerMessage,
  ServerMessageOf,
  ServerMessageType,
  WireIceCandidate,
  WireParticipant,
  WireTrack,
} from '@sig/schemas';

export type { ClientMessage, ServerMessage, ServerMessageOf, ServerMessageType };
/** A participant as the server describes it. */
export type Participant = WireParticipant;
/** A published track. */
export type Track = WireTrack;
/** An ICE candidate on the wire (nullable fields). */
export type IceCandidate = WireIceCandidate;
/** The server's error codes (the Avro ErrorCode enum, in wire case). */
export type ServerErrorCode = ServerError['code'];

/** A client message without its optional request id. */
export type Outgoing = ClientMessage extends infer M ? (M extends { type: string } ? Omit<M, 'id'> : never) : never;

/** Close codes after which the client reconnects and resumes (CLOSE_CODES[*].resume in @sig/schemas). */
export const RESUMABLE_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1005, 1006, 1011, 1013, 4004, 4005, 4006]);

/** The WebSocket subprotocols carrying a token (browsers cannot set an Authorization header). */
export function tokenProtocols(token: string): string[] {
  return ['access_token', token];
}

/** RTCIceCandidateInit from a wire candidate (nulls become absent). */
export function toRtcCandidate(c: IceCandidate): RTCIceCandidateInit {
  return {
    candidate: c.candidate,
    ...(c.sdpMid == null ? {} : { sdpMid: c.sdpMid }),
    ...(c.sdpMLineIndex == null ? {} : { sdpMLineIndex: c.sdpMLineIndex }),
    ...(c.usernameFragment == null ? {} : { usernameFragment: c.usernameFragment }),
  };
}

/** A wire candidate from an RTCIceCandidate (or its init). */
export function fromRtcCandidate(c: RTCIceCandidateInit): IceCandidate {
  return {
    candidate: c.candidate ?? '',
    sdpMid: c.sdpMid ?? null,
    sdpMLineIndex: c.sdpMLineIndex ?? null,
    usernameFragment: c.usernameFragment ?? null,
  };
}
