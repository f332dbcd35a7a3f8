/** Access tokens for tests, signed like an application backend would (LiveKit-style claims). */
import { SignJWT, type JWTPayload } from 'jose';
import { TEST_JWT_SECRET } from './edge-process.js';

export interface TokenOptions {
  readonly sub: string;
  readonly room?: string;
  readonly video?: Record<string, unknown>;
  /** Seconds from now (negative = already expired). Default 3600. */
  readonly expiresIn?: number;
  /** Seconds from now. */
  readonly notBefore?: number;
  readonly secret?: string;
  readonly extra?: JWTPayload;
}

/** An HS256 token; by default it grants joining `room` (or any room). */
export function token(options: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const video = options.video ?? { room: options.room ?? '*', roomJoin: true };
  let jwt = new SignJWT({ name: options.sub.toUpperCase(), video, ...options.extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600));
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** `Authorization: Bearer` headers for a token. */
export function bearer(jwt: string): Record<string, string> {
  return { authorization: `Bearer ${jwt}` };
}
