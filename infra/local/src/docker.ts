/**
 * The Docker path: Kafka (KRaft) and Redis in containers via testcontainers, used only when a
 * Docker engine answers. testcontainers is imported lazily: most machines here have none.
 */
import { request } from 'node:http';
import { existsSync } from 'node:fs';

/** Confluent Platform 8.1 ships Apache Kafka 4.1, the version the local path runs. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.1.0';
export const REDIS_IMAGE = 'redis:7.4-alpine';

/** Where the Docker API would be, from DOCKER_HOST or the default socket. */
export function dockerEndpoint(
  env: NodeJS.ProcessEnv = process.env,
): { socketPath: string } | { host: string; port: number } | undefined {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host?.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return existsSync('/var/run/docker.sock') ? { socketPath: '/var/run/docker.sock' } : undefined;
}

/** True when a Docker engine answers `/_ping` within `timeoutMs` (a client without a daemon does not count). */
export async function dockerAnswers(timeoutMs = 1_500, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const endpoint = dockerEndpoint(env);
  if (!endpoint) return false;
  return new Promise((resolve) => {
    const req = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A started container and how to stop it. */
export interface ContainerHandle<T> {
  readonly address: T;
  stop(): Promise<void>;
}

export async function startKafkaContainer(): Promise<ContainerHandle<string[]>> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(KAFKA_IMAGE).withKraft().start();
  // The module's plaintext listener for clients outside the container's network.
  return {
    address: [`${container.getHost()}:${container.getMappedPort(9093)}`],
    stop: async () => void (await container.stop()),
  };
}

export async function startRedisContainer(): Promise<ContainerHandle<string>> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(REDIS_IMAGE).start();
  return { address: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
}
