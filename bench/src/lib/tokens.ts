/** Access tokens as an application backend would sign them (HS256, LiveKit-style grants). */
import { SignJWT } from 'jose';
import { BENCH_JWT_SECRET } from './stack.js';

const key = new TextEncoder().encode(BENCH_JWT_SECRET);

/** A one-hour token for `identity` granting any room. */
export function benchToken(identity: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    name: identity,
    video: { room: '*', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true },
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(key);
}
