/**
 * The edge's connections: by id (deliveries address them so) and counts per IP (admission).
 * Upgrades in progress hold a reservation, so a burst of concurrent upgrades cannot overshoot
 * the limits while their tokens are being verified.
 */
import type { Connection } from './connection.js';

/** A held admission slot; released on failure, converted on open. */
export interface Reservation {
  readonly ip: string;
  released: boolean;
}

export class ConnectionRegistry {
  readonly #byId = new Map<string, Connection>();
  readonly #perIp = new Map<string, number>();
  #reserved = 0;

  constructor(
    private readonly maxConnections: number,
    private readonly maxPerIp: number,
  ) {}

  /** Open connections. */
  get size(): number {
    return this.#byId.size;
  }

  /** Reserves a slot for an upgrade from `ip`; null when a limit is reached. */
  reserve(ip: string): Reservation | null {
    if (this.#byId.size + this.#reserved >= this.maxConnections) return null;
    const perIp = this.#perIp.get(ip) ?? 0;
    if (perIp >= this.maxPerIp) return null;
    this.#reserved++;
    this.#perIp.set(ip, perIp + 1);
    return { ip, released: false };
  }

  /** Whether `ip` holds as many connections (open or being upgraded) as one address may. */
  atIpLimit(ip: string): boolean {
    return (this.#perIp.get(ip) ?? 0) >= this.maxPerIp;
  }

  /** Gives a reservation back (upgrade refused or aborted); idempotent. */
  release(r: Reservation): void {
    if (r.released) return;
    r.released = true;
    this.#reserved--;
    this.#dropIp(r.ip);
  }

  /** Turns a reservation into an open connection (the IP count carries over). */
  add(conn: Connection, r: Reservation): void {
    if (!r.released) {
      r.released = true;
      this.#reserved--;
    } else {
      this.#perIp.set(conn.ip, (this.#perIp.get(conn.ip) ?? 0) + 1);
    }
    this.#byId.set(conn.id, conn);
  }

  /** Removes a closed connection. */
  remove(conn: Connection): void {
    if (this.#byId.delete(conn.id)) this.#dropIp(conn.ip);
  }

  get(id: string): Connection | undefined {
    return this.#byId.get(id);
  }

  values(): IterableIterator<Connection> {
    return this.#byId.values();
  }

  #dropIp(ip: string): void {
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n > 0) this.#perIp.set(ip, n);
    else this.#perIp.delete(ip);
  }
}
