/**
 * The client WebSocket protocol: TypeBox schemas (the single source of the TypeScript types, the
 * edge's validator and the AsyncAPI document), the error and close code catalogues, and the
 * parse/serialize boundary. See docs/protocol.md.
 */
export {
  PROTOCOL_LIMITS,
  SHARED_SCHEMAS,
  toAvroEnum,
  toWireEnum,
  wireEnumValues,
  WireGrants,
  WireGrantsUpdate,
  WireIceCandidate,
  WireIceServer,
  WireLeaveReason,
  WireMediaTransport,
  WireParticipant,
  WireParticipantStatus,
  WirePeerSignalKind,
  WireResume,
  WireResumeFailure,
  WireRoomCloseReason,
  WireSdpType,
  WireTrack,
  WireTrackAnnouncement,
  WireTrackKind,
  WireTrackSource,
} from './common.js';
export * from './client.js';
export * from './server.js';
export * from './errors.js';
export * from './examples.js';
export {
  parseClientMessage,
  serializeServerMessage,
  isServerMessage,
  exceedsDepth,
  type ParseResult,
  type ParseErrorCode,
} from './parse.js';
