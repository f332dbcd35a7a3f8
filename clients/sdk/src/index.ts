/**
 * @sig/client: the browser and Node SDK of the kafka-signaling WebSocket protocol. Start with
 * {@link SignalClient}; add {@link P2PMesh} or {@link SfuSession} for media. Guide: docs/client-sdk.md.
 */
export { SignalClient } from './client.js';
export type {
  JoinOptions,
  SignalClientEvents,
  SignalClientOptions,
  StateChange,
  WebSocketConstructor,
} from './client.js';
export { P2PMesh } from './p2p.js';
export type { P2PMeshEvents, P2PMeshOptions, RemoteTrack } from './p2p.js';
export { SfuSession } from './sfu.js';
export type { SfuRemoteTrack, SfuSessionEvents, TrackSource } from './sfu.js';
export { ExponentialBackoff, NO_RECONNECT } from './backoff.js';
export type { BackoffPolicy, ExponentialBackoffOptions, RetryContext } from './backoff.js';
export { isRetriableRequestFailure, NO_REQUEST_RETRY, RetryRequests } from './request-retry.js';
export type { RequestRetryContext, RequestRetryPolicy, RetryRequestsOptions } from './request-retry.js';
export { SignalClientError } from './errors.js';
export type { ErrorCode, SdkErrorCode } from './errors.js';
export { canTransition, IllegalStateError, transition } from './state.js';
export type { CloseReason, ConnectionState, ConnectionStatus } from './state.js';
export { SeqTracker } from './sequence.js';
export { RoomModel, applyToRoom } from './room.js';
export { TypedEmitter } from './emitter.js';
export type { EventMap, Listener } from './emitter.js';
export type { MediaOptions, PeerConnectionConstructor } from './rtc.js';
export { RESUMABLE_CLOSE_CODES } from './protocol.js';
export type {
  ClientMessage,
  IceCandidate,
  Outgoing,
  Participant,
  ServerErrorCode,
  ServerMessage,
  ServerMessageOf,
  ServerMessageType,
  Track,
} from './protocol.js';
