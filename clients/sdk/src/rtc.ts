/**
 * What the media layers need from WebRTC, injectable: browsers use the global RTCPeerConnection;
 * Node apps pass an implementation (e.g. werift's) through the `RTCPeerConnection` option.
 */
import type { ServerMessageOf } from './protocol.js';

/** An RTCPeerConnection constructor. */
export type PeerConnectionConstructor = new (configuration?: RTCConfiguration) => RTCPeerConnection;

/** Options shared by the media layers. */
export interface MediaOptions {
  /** RTCPeerConnection implementation. Default: the global one (browsers). */
  readonly RTCPeerConnection?: PeerConnectionConstructor;
  /** Extra RTCConfiguration; `iceServers` default to those of `joined`. */
  readonly rtcConfig?: RTCConfiguration;
}

/** The constructor to use, or a clear error when the environment has none. */
export function peerConnectionClass(options: MediaOptions): PeerConnectionConstructor {
  const ctor =
    options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: PeerConnectionConstructor }).RTCPeerConnection;
  if (!ctor)
    throw new TypeError('no RTCPeerConnection: pass one in the RTCPeerConnection option (e.g. werift in Node)');
  return ctor;
}

/** RTCConfiguration from `joined` (ICE servers with short-lived TURN credentials) and the app's extras. */
export function rtcConfiguration(
  joined: ServerMessageOf<'joined'> | null,
  extra: RTCConfiguration = {},
): RTCConfiguration {
  const iceServers: RTCIceServer[] = (joined?.iceServers ?? []).map((s) => ({
    urls: s.urls,
    ...(s.username === undefined ? {} : { username: s.username }),
    ...(s.credential === undefined ? {} : { credential: s.credential }),
  }));
  return { iceServers, ...extra };
}

/**
 * Hands fresh TURN credentials (`notice` of kind `ice_servers`) to live connections, so the next
 * ICE restart gathers with credentials that are still valid. Implementations without
 * setConfiguration (or that refuse it) keep their old servers until they are recreated.
 */
export function applyIceServers(
  connections: Iterable<RTCPeerConnection | null>,
  configuration: RTCConfiguration,
): void {
  for (const pc of connections) {
    if (!pc || typeof pc.setConfiguration !== 'function') continue;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers: configuration.iceServers ?? [] });
    } catch {
      // A closed connection, or an implementation that cannot change its servers.
    }
  }
}

/** `joined` with the ICE servers of a later `ice_servers` notice. */
export function withIceServers(
  joined: ServerMessageOf<'joined'> | null,
  notice: ServerMessageOf<'notice'>,
): ServerMessageOf<'joined'> | null {
  if (joined === null || notice.kind !== 'ice_servers') return joined;
  return { ...joined, iceServers: notice.iceServers };
}

/** Runs async steps one at a time, in order; a failing step does not stop the next ones. */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (error: unknown) => void) {}

  push(step: () => Promise<void>): void {
    this.#tail = this.#tail.then(step).catch(this.onError);
  }
}

/** Subscribes to the browser's network changes (`online`), where there is a window; returns an unsubscribe. */
export function onNetworkChange(listener: () => void): () => void {
  const target = (globalThis as { addEventListener?: typeof addEventListener }).addEventListener
    ? (globalThis as unknown as EventTarget)
    : null;
  if (!target) return () => undefined;
  target.addEventListener('online', listener);
  return () => target.removeEventListener('online', listener);
}
