/**
 * Access-token verification with jose. Algorithms are pinned per key source: HS256 only with the
 * shared secret, RS256/ES256 only with JWKS keys. That is what defeats algorithm confusion (an
 * HS256 token "signed" with a public RSA key) and `alg: none`: the header's alg only selects which
 * source to try, and each source accepts nothing but its own algorithms.
 *
 * Key rotation: JWKS sources select the key by `kid` (jose refetches a remote set on an unknown
 * kid, at most once per cooldown; a file is re-read when it changes), so publishing the new key
 * before signing with it and retiring the old one after the longest token lifetime rotates
 * without a gap. The shared secret rotates the same way with `previousSecret`: tokens signed with
 * either verify until the previous one is removed.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { SignalError, type Logger } from '@sig/runtime';
import { parseClaims, type TokenClaims } from '../domain/grants.js';

/** Where keys come from, and which claims must match. */
export interface TokenVerifierOptions {
  readonly secret?: string | undefined;
  /** A former HS256 secret still accepted during a rotation. */
  readonly previousSecret?: string | undefined;
  readonly jwksFile?: string | undefined;
  readonly jwksUrl?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** Accepted clock skew for exp/nbf. Default 5 s. */
  readonly clockToleranceSec?: number;
  /** Injected in tests. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

const ASYMMETRIC = ['RS256', 'ES256'] as const;
/** How often a JWKS file is checked for changes (on use, never by a timer). */
const FILE_CHECK_MS = 5000;

/** Verifies access tokens; `verify` rejects with a `SignalError` (unauthorized, token_expired…). */
export class TokenVerifier {
  readonly #secrets: readonly Uint8Array[];
  readonly #remote: JWTVerifyGetKey | undefined;
  readonly #file: JwksFile | undefined;
  readonly #options: TokenVerifierOptions;

  private constructor(options: TokenVerifierOptions, file: JwksFile | undefined) {
    this.#options = options;
    this.#secrets = [options.secret, options.previousSecret]
      .filter((s): s is string => s !== undefined)
      .map((s) => new TextEncoder().encode(s));
    // jose caches the set, refetches after cacheMaxAge, and on an unknown `kid` (key rotation)
    // at most once per cooldown, so a flood of bad tokens cannot flood the JWKS endpoint.
    this.#remote =
      options.jwksUrl === undefined
        ? undefined
        : createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 600_000, cooldownDuration: 30_000 });
    this.#file = file;
  }

  /** Builds a verifier; reads the JWKS file now so a broken file fails the start. */
  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    const file = options.jwksFile === undefined ? undefined : await JwksFile.load(options.jwksFile, options.logger);
    if (options.secret === undefined && options.jwksUrl === undefined && file === undefined)
      throw new Error('no token key source configured');
    return new TokenVerifier(options, file);
  }

  /** Verifies signature, algorithm, exp/nbf, iss/aud, and reads the claims. */
  async verify(token: string): Promise<TokenClaims> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw SignalError.unauthorized('the token is malformed');
    }
    const now = this.#options.now?.() ?? Date.now();
    const options: JWTVerifyOptions = {
      requiredClaims: ['sub', 'exp'],
      clockTolerance: this.#options.clockToleranceSec ?? 5,
      currentDate: new Date(now),
      ...(this.#options.issuer === undefined ? {} : { issuer: this.#options.issuer }),
      ...(this.#options.audience === undefined ? {} : { audience: this.#options.audience }),
    };
    let payload: Record<string, unknown>;
    try {
      if (alg === 'HS256' && this.#secrets.length > 0) {
        payload = await this.#verifyHs256(token, { ...options, algorithms: ['HS256'] });
      } else if ((alg === 'RS256' || alg === 'ES256') && (this.#remote !== undefined || this.#file !== undefined)) {
        const getKey = this.#remote ?? (await this.#file!.keySet());
        payload = (await jwtVerify(token, getKey, { ...options, algorithms: [...ASYMMETRIC] })).payload;
      } else {
        throw SignalError.unauthorized(
          `tokens signed with ${JSON.stringify(alg ?? 'no algorithm').slice(0, 32)} are not accepted`,
        );
      }
    } catch (error) {
      throw mapJoseError(error);
    }
    const claims = parseClaims(payload);
    if (typeof claims === 'string') throw SignalError.unauthorized(claims);
    return claims;
  }

  /** The current secret first; the previous one only when the signature did not match. */
  async #verifyHs256(token: string, options: JWTVerifyOptions): Promise<Record<string, unknown>> {
    for (const [i, secret] of this.#secrets.entries()) {
      try {
        return (await jwtVerify(token, secret, options)).payload;
      } catch (error) {
        const last = i === this.#secrets.length - 1;
        if (last || !(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
      }
    }
    throw SignalError.unauthorized('no token key is configured');
  }
}

/** jose errors → stable codes. Messages stay generic: they reach unauthenticated clients. */
export function mapJoseError(error: unknown): SignalError {
  if (SignalError.is(error)) return error;
  if (error instanceof errors.JWTExpired) return new SignalError('token_expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return SignalError.unauthorized('the token is not valid yet');
    return SignalError.unauthorized(`the token "${error.claim}" claim is not accepted`);
  }
  if (error instanceof errors.JWKSTimeout)
    return new SignalError('timeout', 'the signing keys could not be fetched in time', { cause: error });
  if (error instanceof errors.JOSEAlgNotAllowed) return SignalError.unauthorized('the token algorithm is not accepted');
  if (error instanceof errors.JWKSNoMatchingKey) return SignalError.unauthorized('no signing key matches the token');
  if (error instanceof errors.JOSEError) return SignalError.unauthorized('the token signature or format is invalid');
  return SignalError.internal(error);
}

/** A JWKS file, re-read when its modification time changes (checked at most every 5 s, on use). */
class JwksFile {
  #set: JWTVerifyGetKey;
  #mtimeMs: number;
  #checkedAt = Date.now();
  #checking: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    set: JWTVerifyGetKey,
    mtimeMs: number,
    private readonly logger: Logger | undefined,
  ) {
    this.#set = set;
    this.#mtimeMs = mtimeMs;
  }

  static async load(path: string, logger: Logger | undefined): Promise<JwksFile> {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return new JwksFile(path, createLocalJWKSet(JSON.parse(text) as JSONWebKeySet), info.mtimeMs, logger);
  }

  async keySet(): Promise<JWTVerifyGetKey> {
    if (Date.now() - this.#checkedAt >= FILE_CHECK_MS) {
      this.#checking ??= this.#reload().finally(() => (this.#checking = undefined));
      await this.#checking;
    }
    return this.#set;
  }

  async #reload(): Promise<void> {
    this.#checkedAt = Date.now();
    try {
      const info = await stat(this.path);
      if (info.mtimeMs === this.#mtimeMs) return;
      const set = createLocalJWKSet(JSON.parse(await readFile(this.path, 'utf8')) as JSONWebKeySet);
      this.#set = set;
      this.#mtimeMs = info.mtimeMs;
      this.logger?.info({ path: this.path }, 'JWKS file reloaded');
    } catch (err) {
      // Keep verifying with the keys we have: a half-written file must not lock everyone out.
      this.logger?.warn({ err, path: this.path }, 'JWKS file could not be reloaded; keeping the previous keys');
    }
  }
}
