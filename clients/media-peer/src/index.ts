/** werift media participants over a real edge WebSocket, shared by the SFU tests and the SFU benchmark. */
export { EdgeLink, EdgeRequestError, type Request } from './edge-link.js';
export { loopbackIce, MediaClient, type Received, type VideoCodec } from './media-client.js';
