/**
 * The admin HTTP server every service runs on its own port: liveness, readiness and Prometheus
 * metrics. Kept off the client port so probes and scrapes never compete with client traffic and
 * are never exposed through the public load balancer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { IllegalStateError, Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';

/** Answer of a readiness check; `reasons` says what is not ready (empty when ready). */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** Options of `createAdminServer`. */
export interface AdminServerOptions {
  /** Default `0.0.0.0`. */
  readonly host?: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly registry: Registry;
  /** Readiness of the service (Kafka connected, consumer assigned, not draining…). Default: always ready. */
  readonly readiness?: () => Readiness | Promise<Readiness>;
  /** A readiness check slower than this answers 503 (a hung dependency must not hang the probe). Default 2000 ms. */
  readonly readinessTimeoutMs?: number;
  readonly logger?: Logger;
}

/** The address the admin server listens on. */
export interface AdminAddress {
  readonly host: string;
  readonly port: number;
}

/** `/healthz`, `/readyz`, `/metrics` over node:http. */
export class AdminServer {
  readonly lifecycle = new Lifecycle('admin-server');
  readonly #server: Server;
  readonly #options: AdminServerOptions;
  #closing: Promise<void> | undefined;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        options.logger?.error({ err: error, url: req.url }, 'admin request failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    // Probes are short; a stuck client must not hold a socket (and delay close) for long.
    this.#server.requestTimeout = 10_000;
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Starts listening; resolves with the bound address. Throws if already started or closed. */
  async listen(): Promise<AdminAddress> {
    this.lifecycle.assert('initialized');
    this.lifecycle.transition('starting');
    const { host = '0.0.0.0', port } = this.#options;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(port, host, () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.lifecycle.transition('failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
    if (!this.lifecycle.is('starting')) {
      // close() won the race while we were binding: do not leave a listening socket behind.
      this.#server.close();
      throw new IllegalStateError('admin server was closed while starting', this.lifecycle.state);
    }
    this.lifecycle.transition('running');
    const address = this.address;
    this.#options.logger?.info(address, 'admin server listening');
    return address;
  }

  /** The bound address; throws unless running. */
  get address(): AdminAddress {
    this.lifecycle.assert('running', 'draining');
    const info = this.#server.address() as AddressInfo;
    return { host: info.address, port: info.port };
  }

  /** Stops the server and drops idle keep-alive sockets; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.lifecycle.isTerminal) return;
    const wasListening = this.#server.listening;
    if (wasListening) {
      await new Promise<void>((resolve, reject) => {
        this.#server.close((error) => (error === undefined ? resolve() : reject(error)));
        // close() waits for open sockets; Prometheus keeps its scrape connection alive.
        this.#server.closeAllConnections();
      });
    }
    if (!this.lifecycle.isTerminal) this.lifecycle.transition('stopped');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    switch (path) {
      case '/healthz':
        send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
        return;
      case '/readyz': {
        const readiness = await this.#readiness();
        send(res, readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness));
        return;
      }
      case '/metrics': {
        const { registry } = this.#options;
        send(res, 200, registry.contentType, await registry.metrics());
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  async #readiness(): Promise<Readiness> {
    const check = this.#options.readiness;
    if (check === undefined) return { ready: true, reasons: [] };
    const timeoutMs = this.#options.readinessTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(check),
        new Promise<Readiness>((resolve) => {
          timer = setTimeout(
            () => resolve({ ready: false, reasons: [`readiness check timed out after ${timeoutMs} ms`] }),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      return {
        ready: false,
        reasons: [`readiness check failed: ${error instanceof Error ? error.message : String(error)}`],
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  // HEAD gets the headers only; node:http drops a body written to a HEAD response anyway.
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Creates an admin server (call `listen()` to start it). */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  return new AdminServer(options);
}
