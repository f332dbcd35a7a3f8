import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { dockerAnswers, dockerEndpoint } from '../src/docker.js';

describe('dockerAnswers', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function fakeEngine(status: number): Promise<string> {
    const socketPath = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.sock');
    server = createServer((req, res) => {
      res.statusCode = req.url === '/_ping' ? status : 404;
      res.end('OK');
    });
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    return socketPath;
  }

  test('is true when the engine answers /_ping', async () => {
    const socket = await fakeEngine(200);
    expect(await dockerAnswers(1_000, { DOCKER_HOST: `unix://${socket}` })).toBe(true);
  });

  test('is false when the engine reports an error', async () => {
    const socket = await fakeEngine(500);
    expect(await dockerAnswers(1_000, { DOCKER_HOST: `unix://${socket}` })).toBe(false);
  });

  test('is false when nothing listens (a docker client without a daemon)', async () => {
    expect(await dockerAnswers(1_000, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).toBe(false);
  });
});

describe('dockerEndpoint', () => {
  test('reads tcp:// and unix:// DOCKER_HOST', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.2:2376' })).toEqual({ host: '10.0.0.2', port: 2376 });
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1/docker.sock' })).toEqual({
      socketPath: '/run/user/1/docker.sock',
    });
  });
});
