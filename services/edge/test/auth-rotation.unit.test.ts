import { SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { TokenVerifier } from '../src/adapters/auth.js';
import { loadEdgeConfig } from '../src/config.js';

const CURRENT = 'current-secret-that-is-at-least-32-bytes!';
const PREVIOUS = 'previous-secret-that-is-at-least-32-bytes';
const OTHER = 'some-other-secret-that-is-at-least-32-byte';
const NOW = 1_700_000_000_000;

const hs = (secret: string, exp = NOW / 1000 + 600) =>
  new SignJWT({ video: { room: 'r1', roomJoin: true } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('HS256 secret rotation (JWT_SECRET + JWT_SECRET_PREVIOUS)', () => {
  test('during the overlap, tokens signed with either secret verify; others do not', async () => {
    const v = await TokenVerifier.create({ secret: CURRENT, previousSecret: PREVIOUS, now: () => NOW });
    expect(await codeOf(v.verify(await hs(CURRENT)))).toBe('accepted');
    expect(await codeOf(v.verify(await hs(PREVIOUS)))).toBe('accepted');
    expect(await codeOf(v.verify(await hs(OTHER)))).toBe('unauthorized');
    // Expiry is still enforced for tokens of the previous secret.
    expect(await codeOf(v.verify(await hs(PREVIOUS, NOW / 1000 - 60)))).toBe('token_expired');
  });

  test('after the overlap (previous removed), the old secret is refused', async () => {
    const v = await TokenVerifier.create({ secret: CURRENT, now: () => NOW });
    expect(await codeOf(v.verify(await hs(PREVIOUS)))).toBe('unauthorized');
  });

  test('the configuration checks JWT_SECRET_PREVIOUS', () => {
    const base = { NODE_ENV: 'production', JWT_SECRET: CURRENT };
    expect(loadEdgeConfig({ ...base, JWT_SECRET_PREVIOUS: PREVIOUS }).jwt.previousSecret).toBe(PREVIOUS);
    expect(() => loadEdgeConfig({ ...base, JWT_SECRET_PREVIOUS: 'short' })).toThrow(/JWT_SECRET_PREVIOUS/);
    expect(() =>
      loadEdgeConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://x/jwks', JWT_SECRET_PREVIOUS: PREVIOUS }),
    ).toThrow(/JWT_SECRET_PREVIOUS: is set without JWT_SECRET/);
  });
});
