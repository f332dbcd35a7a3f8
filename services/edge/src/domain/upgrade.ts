/**
 * Reading the HTTP upgrade request: where the token is, which subprotocol to echo, whether the
 * Origin is allowed, which room (if any) the connection is opened for. Pure string handling; the
 * uWS adapter copies the headers out synchronously and hands them here.
 */

/** The parts of an upgrade request the edge looks at (header values as received, '' when absent). */
export interface UpgradeHeaders {
  readonly authorization: string;
  readonly protocol: string;
  readonly origin: string;
  /** Raw query string without the `?`. */
  readonly query: string;
}

/** Where the token came from, and the subprotocol to accept in the 101 response ('' = none). */
export interface Credentials {
  readonly token: string;
  readonly source: 'authorization' | 'query' | 'subprotocol';
  readonly subprotocol: string;
}

/** The subprotocol marker browsers use to pass a token (they cannot set Authorization). */
export const TOKEN_SUBPROTOCOL = 'access_token';

const ROOM = /^[A-Za-z0-9._~-]{1,128}$/;
const MAX_TOKEN = 8 * 1024;

/**
 * Finds the token: `Authorization: Bearer`, then `Sec-WebSocket-Protocol: access_token, <jwt>`,
 * then `?token=`. Returns null when there is none (or it is absurdly long).
 */
export function extractCredentials(h: UpgradeHeaders): Credentials | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h.authorization)?.[1];
  const offered = h.protocol
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  // The subprotocol must be echoed even when the token came from elsewhere, or browsers that
  // offered it fail the handshake.
  const subprotocol = offered[0] === TOKEN_SUBPROTOCOL ? TOKEN_SUBPROTOCOL : '';
  let found: Omit<Credentials, 'subprotocol'> | null = null;
  if (bearer !== undefined) found = { token: bearer, source: 'authorization' };
  else if (subprotocol !== '' && offered[1] !== undefined) found = { token: offered[1], source: 'subprotocol' };
  else {
    const query = new URLSearchParams(h.query).get('token');
    if (query !== null && query !== '') found = { token: query, source: 'query' };
  }
  if (found === null || found.token.length > MAX_TOKEN) return null;
  return { ...found, subprotocol };
}

/** The `?room=` the connection is opened for (null when absent), or `valid: false` when malformed. */
export function requestedRoom(
  query: string,
): { readonly valid: true; readonly room: string | null } | { readonly valid: false } {
  const room = new URLSearchParams(query).get('room');
  if (room === null) return { valid: true, room: null };
  return ROOM.test(room) ? { valid: true, room } : { valid: false };
}

/**
 * Whether `origin` may open a socket. An empty allow-list allows any origin. A request without
 * Origin (not a browser) is allowed: the check protects browsers from cross-site WebSocket
 * hijacking, and non-browser clients can send any Origin they like anyway.
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0 || origin === '') return true;
  const normalized = origin.toLowerCase().replace(/\/+$/, '');
  return allowed.some((a) => a === '*' || a.toLowerCase().replace(/\/+$/, '') === normalized);
}
