/**
 * Time-based decisions about one connection, taken by the edge's single sweep timer: heartbeat
 * timeout, token expiry notice and token expiry, plus the abuse counters. Pure: `now` is passed in.
 */

/** What the sweep knows about a connection. */
export interface ConnectionClock {
  /** Last time any frame arrived from the client. */
  readonly lastInboundAt: number;
  /** Expiry of the token currently in force. */
  readonly tokenExpiresAt: number;
  /** Whether `token_expiring` was already sent for this expiry. */
  readonly expiryNoticeSent: boolean;
}

/** Timing settings of the sweep. */
export interface SweepSettings {
  readonly heartbeatTimeoutMs: number;
  readonly tokenExpiryNoticeMs: number;
}

/** What to do with a connection now. */
export type SweepAction = 'close_heartbeat_timeout' | 'close_token_expired' | 'notice_token_expiring' | 'none';

/** The one action due for a connection; closing wins over noticing. */
export function sweepAction(c: ConnectionClock, now: number, s: SweepSettings): SweepAction {
  if (now - c.lastInboundAt >= s.heartbeatTimeoutMs) return 'close_heartbeat_timeout';
  if (now >= c.tokenExpiresAt) return 'close_token_expired';
  if (!c.expiryNoticeSent && now >= c.tokenExpiresAt - s.tokenExpiryNoticeMs) return 'notice_token_expiring';
  return 'none';
}

/** How often the sweep runs: fine enough for expiry and timeouts, never more than every 50 ms. */
export function sweepTickMs(heartbeatIntervalMs: number): number {
  return Math.max(50, Math.min(1000, heartbeatIntervalMs));
}

/**
 * Whether a connection last pinged at `lastPingAt` is due its next ping at this sweep. Timers
 * drift both ways: with a tick equal to the interval, a sweep 1 ms early would see 199 of 200 ms
 * elapsed and skip, pinging only every second interval. Half a tick of tolerance pings at the
 * sweep nearest the interval instead, so the gap between pings stays within interval ± tick/2.
 */
export function pingDue(lastPingAt: number, now: number, heartbeatIntervalMs: number, tickMs: number): boolean {
  return now - lastPingAt >= heartbeatIntervalMs - tickMs / 2;
}

/** Rate-limit strikes: how many refusals recently, and when the last one was. */
export interface Strikes {
  readonly count: number;
  readonly lastAt: number;
}

export const NO_STRIKES: Strikes = { count: 0, lastAt: 0 };

/**
 * Counts one rate-limit refusal. Strikes are forgotten after `resetAfterMs` without a refusal, so
 * an occasional burst over a long session is forgiven while a client that keeps hammering is not.
 * `close` becomes true when strikes exceed `limit` (the same rule as invalid frames).
 */
export function strike(
  s: Strikes,
  now: number,
  limit: number,
  resetAfterMs: number,
): { readonly strikes: Strikes; readonly close: boolean } {
  const base = now - s.lastAt > resetAfterMs ? 0 : s.count;
  const strikes = { count: base + 1, lastAt: now };
  return { strikes, close: strikes.count > limit };
}

/** Counts one invalid frame: tolerated up to `limit`, the next one closes the connection. */
export function invalidFrame(count: number, limit: number): { readonly count: number; readonly close: boolean } {
  return { count: count + 1, close: count + 1 > limit };
}

/**
 * Drain timing: how long clients get to reconnect elsewhere, leaving a reserve of the drain
 * deadline for closing the rest, flushing the producer and disconnecting.
 */
export function drainPlan(drainTimeoutMs: number): { readonly clientDeadlineMs: number; readonly reserveMs: number } {
  const reserveMs = Math.min(5000, Math.max(Math.min(500, drainTimeoutMs / 2), drainTimeoutMs * 0.25));
  return { clientDeadlineMs: Math.max(0, Math.floor(drainTimeoutMs - reserveMs)), reserveMs: Math.ceil(reserveMs) };
}
