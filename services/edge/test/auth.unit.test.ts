import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TokenVerifier } from '../src/adapters/auth.js';

const SECRET = 'unit-test-secret-that-is-at-least-32-bytes';
const NOW = 1_700_000_000_000;
const nowSec = NOW / 1000;
const video = { room: 'r1', roomJoin: true };

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: Keys;
let ec: Keys;
let dir: string;
let jwksFile: string;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  dir = mkdtempSync(join(tmpdir(), 'edge-auth-'));
  jwksFile = join(dir, 'jwks.json');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  writeFileSync(jwksFile, JSON.stringify({ keys }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function claims(extra: JWTPayload = {}): SignJWT {
  return new SignJWT({ video, ...extra })
    .setSubject('alice')
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + 3600);
}

const hs = (jwt: SignJWT, secret = SECRET) =>
  jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
const verifier = (extra: Partial<Parameters<typeof TokenVerifier.create>[0]> = {}) =>
  TokenVerifier.create({ secret: SECRET, jwksFile, now: () => NOW, ...extra });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('access token verification', () => {
  test('HS256 with the shared secret: claims with LiveKit defaults', async () => {
    const v = await verifier();
    const token = await hs(claims({ name: 'Alice', metadata: '{"x":1}' }));
    expect(await v.verify(token)).toEqual({
      identity: 'alice',
      name: 'Alice',
      metadata: '{"x":1}',
      expiresAt: NOW + 3_600_000,
      video: {
        room: 'r1',
        roomJoin: true,
        roomAdmin: false,
        canPublish: true,
        canSubscribe: true,
        canPublishData: true,
        hidden: false,
      },
    });
  });

  test('expired → token_expired', async () => {
    const token = await hs(claims().setExpirationTime(nowSec - 60));
    expect(await codeOf((await verifier()).verify(token))).toBe('token_expired');
  });

  test('not valid yet (nbf in the future) → unauthorized', async () => {
    const token = await hs(claims().setNotBefore(nowSec + 600));
    expect(await codeOf((await verifier()).verify(token))).toBe('unauthorized');
  });

  test('bad signature → unauthorized', async () => {
    const token = await hs(claims(), 'another-secret-that-is-at-least-32-bytes');
    expect(await codeOf((await verifier()).verify(token))).toBe('unauthorized');
    const good = await hs(claims());
    const tampered = `${good.slice(0, good.lastIndexOf('.'))}.${base64url.encode('forged-signature-bytes')}`;
    expect(await codeOf((await verifier()).verify(tampered))).toBe('unauthorized');
  });

  test('alg none → unauthorized', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ sub: 'alice', exp: nowSec + 3600, video }));
    expect(await codeOf((await verifier()).verify(`${header}.${payload}.`))).toBe('unauthorized');
  });

  test('RS/HS confusion: an HS256 token keyed with the public RSA key is refused', async () => {
    // The classic attack: the verifier would use the public key as an HMAC secret if the token's
    // alg chose the algorithm for a key source. Ours pins HS256 to the shared secret only.
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await hs(claims(), pem);
    expect(await codeOf((await verifier()).verify(forged))).toBe('unauthorized');
    expect(await codeOf((await verifier({ secret: undefined })).verify(forged))).toBe('unauthorized');
  });

  test('RS256 and ES256 with JWKS keys are accepted; without a JWKS source they are refused', async () => {
    const rs = await claims().setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);
    const es = await claims().setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).sign(ec.privateKey);
    const v = await verifier();
    expect((await v.verify(rs)).identity).toBe('alice');
    expect((await v.verify(es)).identity).toBe('alice');
    expect(await codeOf((await verifier({ jwksFile: undefined })).verify(rs))).toBe('unauthorized');
  });

  test('an RS256 header on a token signed by an unknown key → unauthorized', async () => {
    const other = await generateKeyPair('RS256');
    const token = await claims().setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(other.privateKey);
    expect(await codeOf((await verifier()).verify(token))).toBe('unauthorized');
  });

  test('wrong audience or issuer → unauthorized; the right ones → accepted', async () => {
    const v = await verifier({ issuer: 'https://auth.example.org', audience: 'signal' });
    expect(await codeOf(v.verify(await hs(claims().setIssuer('https://auth.example.org').setAudience('signal'))))).toBe(
      'accepted',
    );
    expect(await codeOf(v.verify(await hs(claims().setIssuer('https://evil.example.org').setAudience('signal'))))).toBe(
      'unauthorized',
    );
    expect(await codeOf(v.verify(await hs(claims().setIssuer('https://auth.example.org').setAudience('other'))))).toBe(
      'unauthorized',
    );
    expect(await codeOf(v.verify(await hs(claims())))).toBe('unauthorized');
  });

  test('missing sub, missing exp or a malformed video claim → unauthorized', async () => {
    const v = await verifier();
    const key = new TextEncoder().encode(SECRET);
    const noSub = await new SignJWT({ video })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(nowSec + 60)
      .sign(key);
    const noExp = await new SignJWT({ video }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(key);
    const badVideo = await hs(claims({ video: { room: 'r1', roomJoin: 'yes' } }));
    for (const token of [noSub, noExp, badVideo, 'not-a-jwt'])
      expect(await codeOf(v.verify(token))).toBe('unauthorized');
  });
});
