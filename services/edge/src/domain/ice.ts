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

/** The `iceServers` of a `joined` message for `identity`. */
export function iceServersFor(settings: IceSettings, identity: string, nowMs: number): WireIceServer[] {
  const servers: WireIceServer[] = [];
  if (settings.stunUrls.length > 0) servers.push({ urls: [...settings.stunUrls] });
  if (settings.turnUrls.length > 0 && settings.turnSecret !== undefined) {
    servers.push({
      urls: [...settings.turnUrls],
      ...turnCredentials(settings.turnSecret, identity, nowMs, settings.turnTtlMs),
    });
  }
  return servers;
}
