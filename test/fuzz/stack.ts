/**
 * The system under fuzz: the real edge and projector processes on real Kafka and Redis, on a
 * fresh topic prefix. The edge accepts HS256 tokens (shared secret) and RS256 tokens (a JWKS
 * file), and requires an issuer and an audience, so every forged-token variant has a target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { randomTopicPrefix } from '../support/ids.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import { ServiceProcess } from '../support/service-process.js';
import { killAll, startEdge, TEST_JWT_SECRET, type EdgeProcess } from '../edge/support/edge-process.js';
import type { FuzzKeys } from './cases.js';
import type { FuzzTarget } from './runner.js';

export interface FuzzStack extends FuzzTarget {
  readonly edge: EdgeProcess;
  readonly projector: ServiceProcess;
  dispose(): Promise<void>;
}

export async function startFuzzStack(brokers: string[], redisUrl: string): Promise<FuzzStack> {
  const prefix = randomTopicPrefix();
  await createTopics(prefix, brokers);
  const dir = mkdtempSync(join(tmpdir(), 'edge-fuzz-'));
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const kid = 'fuzz-rsa-1';
  const jwks = join(dir, 'jwks.json');
  writeFileSync(
    jwks,
    JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid, alg: 'RS256', use: 'sig' }] }),
  );
  const keys: FuzzKeys = {
    secret: new TextEncoder().encode(TEST_JWT_SECRET),
    rsaPrivate: rsa.privateKey,
    rsaPublicPem: await exportSPKI(rsa.publicKey),
    kid,
    issuer: 'https://auth.fuzz.example',
    audience: 'signaling-edge',
  };
  const common = { KAFKA_BROKERS: brokers.join(','), REDIS_URL: redisUrl, TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  let edge: EdgeProcess | undefined;
  let projector: ServiceProcess | undefined;
  try {
    projector = await ServiceProcess.start('projector', common);
    edge = await startEdge({
      ...common,
      // startEdge waits for the 'edge ready' info line.
      LOG_LEVEL: 'info',
      JWT_JWKS_FILE: jwks,
      JWT_ISSUER: keys.issuer,
      JWT_AUDIENCE: keys.audience,
      // Rate limits have their own tests; here they would only hide what comes after them.
      RATE_CONN_PER_SEC: '100000',
      RATE_CONN_BURST: '100000',
      RATE_IDENTITY_PER_SEC: '100000',
      RATE_IDENTITY_BURST: '100000',
    });
  } catch (error) {
    await killAll([edge]);
    await projector?.kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const started = { edge, projector };
  return {
    ...started,
    port: edge.port,
    adminPort: edge.adminPort,
    pid: edge.child.pid!,
    keys,
    token: (identity, room) =>
      new SignJWT({ name: identity, video: { room, roomJoin: true, canPublish: true, canPublishData: true } })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(identity)
        .setIssuer(keys.issuer)
        .setAudience(keys.audience)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(keys.secret),
    alive: () => started.edge.child.exitCode === null && started.projector.child.exitCode === null,
    async dispose() {
      await killAll([started.edge]);
      await started.projector.kill();
      rmSync(dir, { recursive: true, force: true });
      await deleteTopics(prefix, brokers).catch(() => undefined);
    },
  };
}
