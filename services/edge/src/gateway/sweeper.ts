/**
 * One timer for all connections (not one per socket): sends the app-level `ping` every heartbeat
 * interval (counted per connection from its open or its last ping, see `pingDue`), closes connections silent for the heartbeat timeout (4006), warns before a token
 * expires and closes at expiry (4001), and hands out fresh TURN credentials before the previous
 * ones expire (`ice_servers` notice). Per-socket timers would cost a timer object and a wakeup
 * per connection; a sweep over ~19k connections takes about a millisecond.
 */
import type { Logger } from '@sig/runtime';
import { iceGrantFor, iceRefreshDue, type IceSettings } from '../domain/ice.js';
import { pingDue, sweepAction, sweepTickMs, type SweepSettings } from '../domain/liveness.js';
import type { Connection } from './connection.js';
import type { ConnectionRegistry } from './registry.js';

export interface SweeperSettings extends SweepSettings {
  readonly heartbeatIntervalMs: number;
  readonly ice: IceSettings;
}

export class Sweeper {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly settings: SweeperSettings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), sweepTickMs(this.settings.heartbeatIntervalMs));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass over every connection (public for tests). */
  sweep(): void {
    const now = this.now();
    const { heartbeatIntervalMs } = this.settings;
    const tickMs = sweepTickMs(heartbeatIntervalMs);
    let closed = 0;
    for (const conn of this.registry.values()) {
      if (!conn.isOpen) continue;
      switch (sweepAction(conn, now, this.settings)) {
        case 'close_heartbeat_timeout':
          conn.close('heartbeat_timeout');
          closed++;
          continue;
        case 'close_token_expired':
          conn.close('token_expired');
          closed++;
          continue;
        case 'notice_token_expiring':
          conn.expiryNoticeSent = true;
          conn.send({ type: 'notice', kind: 'token_expiring', expiresAt: conn.tokenExpiresAt });
          break;
        case 'none':
          break;
      }
      if (conn.iceExpiresAt !== null && iceRefreshDue(conn.iceExpiresAt, this.settings.ice.turnTtlMs, now)) {
        this.#refreshIce(conn, now);
      }
      if (pingDue(conn.lastPingAt, now, heartbeatIntervalMs, tickMs)) {
        conn.lastPingAt = now;
        conn.send({ type: 'ping', ts: now });
      }
    }
    if (closed > 0) this.logger.debug({ closed }, 'sweep closed connections');
  }

  #refreshIce(conn: Connection, now: number): void {
    const grant = iceGrantFor(this.settings.ice, conn.identity, now);
    conn.iceExpiresAt = grant.expiresAt;
    if (grant.expiresAt === null) return;
    conn.send({ type: 'notice', kind: 'ice_servers', iceServers: grant.iceServers, expiresAt: grant.expiresAt });
  }
}
