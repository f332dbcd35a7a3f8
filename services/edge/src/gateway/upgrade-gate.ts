/**
 * The admission decision at the HTTP upgrade, before any socket exists: not draining, Origin
 * allowed, a token present, capacity left (MAX_CONNECTIONS → 503 overloaded,
 * MAX_CONNECTIONS_PER_IP → 429 rate_limited), the token valid within UPGRADE_TIMEOUT (else 504
 * timeout), the requested room granted. Every refusal is an HTTP status with a JSON body shaped
 * like the protocol's `error` message. An upgrade being verified holds a reservation, so slow
 * verifications count against both limits and cannot pile up beyond them.
 */
import { ERROR_CODES, SignalError, type Logger } from '@sig/runtime';
import type { ErrorCode } from '@sig/schemas';
import type { TokenClaims } from '../domain/grants.js';
import { roomGranted } from '../domain/grants.js';
import { extractCredentials, originAllowed, requestedRoom, type UpgradeHeaders } from '../domain/upgrade.js';
import type { EdgeMetrics } from '../adapters/metrics.js';
import type { AdmittedClient } from './connection.js';
import type { ConnectionRegistry, Reservation } from './registry.js';

/** The upgrade request as copied out of uWS. */
export interface UpgradeRequest extends UpgradeHeaders {
  readonly ip: string;
}

export type UpgradeDecision =
  | {
      readonly accept: true;
      readonly client: AdmittedClient;
      readonly subprotocol: string;
      readonly reservation: Reservation;
    }
  | { readonly accept: false; readonly status: number; readonly code: ErrorCode; readonly body: string };

export interface UpgradeGateDeps {
  readonly verifier: { verify(token: string): Promise<TokenClaims> };
  readonly registry: ConnectionRegistry;
  readonly allowedOrigins: readonly string[];
  readonly verifyTimeoutMs: number;
  readonly isDraining: () => boolean;
  readonly metrics: EdgeMetrics;
  readonly logger: Logger;
}

/** HTTP reason phrases of the statuses the gate answers with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class UpgradeGate {
  constructor(private readonly d: UpgradeGateDeps) {}

  /** Decides an upgrade. On accept, the caller must `registry.add` or `registry.release` the reservation. */
  async decide(req: UpgradeRequest): Promise<UpgradeDecision> {
    if (this.d.isDraining()) return this.#refuse(SignalError.draining());
    if (!originAllowed(req.origin, this.d.allowedOrigins))
      return this.#refuse(SignalError.originNotAllowed(req.origin));
    const credentials = extractCredentials(req);
    if (credentials === null)
      return this.#refuse(
        SignalError.unauthorized('no access token (Authorization: Bearer, access_token subprotocol or ?token=)'),
      );
    const requested = requestedRoom(req.query);
    if (!requested.valid) return this.#refuse(SignalError.badRequest('the room parameter is not a valid room id'));
    const room = requested.room;
    const reservation = this.d.registry.reserve(req.ip);
    if (reservation === null) {
      // One address over its share is that client's problem (429, retry later); a full edge is
      // the server's (503, try another edge).
      if (this.d.registry.atIpLimit(req.ip))
        return this.#refuse(
          new SignalError('rate_limited', 'too many connections from this address', {
            retryAfterMs: IP_LIMIT_RETRY_MS,
          }),
        );
      return this.#refuse(SignalError.overloaded(), 'connection limit reached');
    }
    let claims: TokenClaims;
    try {
      claims = await this.#verify(credentials.token);
      if (room !== null && !roomGranted(claims.video, room))
        throw SignalError.forbidden(`the token does not grant room "${room}"`);
      if (this.d.isDraining()) throw SignalError.draining();
    } catch (error) {
      this.d.registry.release(reservation);
      return this.#refuse(SignalError.is(error) ? error : SignalError.internal(error));
    }
    return {
      accept: true,
      client: { ip: req.ip, claims, upgradeRoom: room },
      subprotocol: credentials.subprotocol,
      reservation,
    };
  }

  async #verify(token: string): Promise<TokenClaims> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.d.verifier.verify(token),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(SignalError.timeout('token verification', this.d.verifyTimeoutMs)),
            this.d.verifyTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #refuse(error: SignalError, logMessage?: string): UpgradeDecision {
    // Only codes of the wire catalogue go out; anything else is an internal error.
    const code = (WIRE_UPGRADE_CODES as readonly string[]).includes(error.code) ? error.code : 'internal';
    const status = ERROR_CODES[code].httpStatus ?? 500;
    if (code === 'internal') this.d.logger.error({ err: error }, 'upgrade failed');
    else this.d.logger.debug({ code, reason: logMessage ?? error.message }, 'upgrade refused');
    this.d.metrics.upgradesRejected.inc({ status: String(status), code });
    const message = code === 'internal' ? 'unexpected server error' : error.message;
    return {
      accept: false,
      status,
      code,
      body: JSON.stringify({
        type: 'error',
        code,
        message,
        retriable: error.retriable,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      }),
    };
  }
}

const WIRE_UPGRADE_CODES = [
  'bad_request',
  'unauthorized',
  'token_expired',
  'forbidden',
  'origin_not_allowed',
  'overloaded',
  'rate_limited',
  'draining',
  'timeout',
] as const;

/** retryAfterMs of a refusal for too many connections from one address. */
const IP_LIMIT_RETRY_MS = 1000;
