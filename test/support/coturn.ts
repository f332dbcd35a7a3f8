/**
 * A real coturn TURN server on loopback for tests, in the TURN REST configuration the product
 * uses (`use-auth-secret` + `static-auth-secret`). The Debian package is installed on first use
 * when `turnserver` is missing (CI machines start without it; nothing installed by hand survives).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';
import { killOnExit } from './children.js';

const TURNSERVER = '/usr/bin/turnserver';

/** Installs coturn from the Debian repositories unless `turnserver` is already there. */
export function ensureCoturnInstalled(): void {
  if (existsSync(TURNSERVER)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'coturn'], {
      env,
      stdio: 'pipe',
      timeout: 300_000,
    });
  try {
    install();
  } catch {
    // A fresh machine has no package lists yet.
    execFileSync('apt-get', ['update'], { env, stdio: 'pipe', timeout: 300_000 });
    install();
  }
  if (!existsSync(TURNSERVER)) throw new Error('coturn was installed but /usr/bin/turnserver is missing');
}

/** TURN REST credentials (coturn `use-auth-secret`): username `<expiry>:<identity>`, password base64(HMAC-SHA1(secret, username)). */
export function turnRestCredentials(
  secret: string,
  identity: string,
  ttlMs = 3_600_000,
  nowMs = Date.now(),
): { username: string; credential: string } {
  const username = `${Math.floor((nowMs + ttlMs) / 1000)}:${identity}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** A running coturn. */
export interface Coturn {
  readonly port: number;
  readonly secret: string;
  /** `turn:127.0.0.1:<port>` */
  readonly url: string;
  readonly output: string[];
  stop(): Promise<void>;
}

/** Sends a STUN Binding request over UDP and resolves when any answer comes back. */
async function stunAnswers(port: number, timeoutMs = 300): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request
    request.writeUInt16BE(0, 2);
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8);
    const answered = once(socket, 'message').then(() => true);
    socket.send(request, port, '127.0.0.1');
    return await Promise.race([
      answered,
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs)),
    ]);
  } finally {
    socket.close();
  }
}

/** Starts coturn on 127.0.0.1 with a random port and relay range; `stop()` kills it. */
export async function startCoturn(options: { secret?: string } = {}): Promise<Coturn> {
  ensureCoturnInstalled();
  const secret = options.secret ?? randomBytes(16).toString('hex');
  // Random listening port and relay range away from the ephemeral range, so parallel runs rarely meet.
  const port = 20_000 + Math.floor(Math.random() * 5000) * 2;
  const minRelay = 30_000 + Math.floor(Math.random() * 40) * 50;
  const dir = mkdtempSync(join(tmpdir(), 'coturn-'));
  const args = [
    '-n', // no configuration file
    `--listening-ip=127.0.0.1`,
    `--relay-ip=127.0.0.1`,
    `--listening-port=${port}`,
    `--min-port=${minRelay}`,
    `--max-port=${minRelay + 49}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=test',
    // Peers (the SFU, the other clients) are on loopback in tests; coturn refuses those by default.
    '--allow-loopback-peers',
    '--fingerprint',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-tcp-relay',
    '--simple-log',
    `--log-file=stdout`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ];
  const child: ChildProcess = killOnExit(spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const output: string[] = [];
  child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`turnserver exited with ${child.exitCode}: ${output.join('').slice(-2000)}`);
        return stunAnswers(port);
      },
      { timeoutMs: 15_000, intervalMs: 100, message: `coturn answering STUN on 127.0.0.1:${port}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, secret, url: `turn:127.0.0.1:${port}`, output, stop };
}
