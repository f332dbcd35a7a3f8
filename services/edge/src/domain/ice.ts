/**
 * ICE servers handed to clients in `joined`, with TURN REST credentials (the convention coturn's
 * `use-auth-secret` accepts): username `<expiry>:<identity>` with the expiry in Unix seconds,
 * password base64(HMAC-SHA1(secret, username)). The credential dies at expiry, so leaking it
 * costs at most one TTL of relay use. HMAC is deterministic; no clock is read here.
 */
import { createHmac } from 'node:crypto';
import type { WireIceServer } from '@sig/schemas';

/** ICE settings from the configuration. */
export interface IceSettings {
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  /** Shared secret with the TURN server; TURN is offered only when it is set. */
  readonly turnSecret: string | undefined;
  readonly turnTtlMs: number;
}

/** TURN REST credentials for `identity`, valid until `nowMs + ttlMs`. */
export function turnCredentials(
  secret: string,
  identity: string,
  nowMs: number,
  ttlMs: number,
): { username: string; credential: string } {
  const expiry = Math.floor((nowMs + ttlMs) / 1000);
  const username = `${expiry}:${identity}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** ICE servers for one identity, and when their TURN credentials expire (null: no TURN). */
export interface IceGrant {
  readonly iceServers: WireIceServer[];
  readonly expiresAt: number | null;
}

/** The `iceServers` of a `joined` (or `ice_servers` notice) for `identity`. */
export function iceGrantFor(settings: IceSettings, identity: string, nowMs: number): IceGrant {
  const iceServers: WireIceServer[] = [];
  if (settings.stunUrls.length > 0) iceServers.push({ urls: [...settings.stunUrls] });
  if (settings.turnUrls.length === 0 || settings.turnSecret === undefined) return { iceServers, expiresAt: null };
  const credentials = turnCredentials(settings.turnSecret, identity, nowMs, settings.turnTtlMs);
  iceServers.push({ urls: [...settings.turnUrls], ...credentials });
  // The expiry in the username, in ms: what the TURN server will enforce.
  return { iceServers, expiresAt: Number(credentials.username.split(':')[0]) * 1000 };
}

/**
 * Whether credentials expiring at `expiresAt` are due for a refresh: a quarter of the TTL before
 * they expire, so a client that restarts ICE late in their life still has time to gather.
 */
export function iceRefreshDue(expiresAt: number, ttlMs: number, nowMs: number): boolean {
  return nowMs >= expiresAt - ttlMs / 4;
}
