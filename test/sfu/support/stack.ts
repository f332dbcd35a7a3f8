/**
 * The product's media path as real processes: an edge, the projector and SFU workers built from
 * services/*, against the test run's Kafka under a random topic prefix. Test clients are werift
 * peers in this process speaking the WebSocket protocol to the edge, like a browser app.
 */
import type { PeerConfig } from 'werift';
import { EdgeLink, MediaClient, type Received, type VideoCodec } from '@sig/media-peer';
import type { WireIceServer } from '@sig/schemas';
import { startEdge, type EdgeProcess } from '../../edge/support/edge-process.js';
import { token } from '../../edge/support/tokens.js';
import { testInfra } from '../../support/infra.js';
import { ServiceProcess } from '../../support/service-process.js';
import type { SfuReports } from './sfu-reports.js';

/** Grants of a participant who publishes and subscribes. */
const MEDIA_GRANTS = { room: '*', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true };

/** Environment shared by the services of one test file. */
export function baseEnv(prefix: string): Record<string, string> {
  return {
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    TOPIC_PREFIX: prefix,
    ...(process.env['SFU_TEST_DEBUG'] ? { LOG_LEVEL: 'info' } : {}),
  };
}

/** The projector. */
export function startProjector(prefix: string): Promise<ServiceProcess> {
  return ServiceProcess.start('projector', baseEnv(prefix));
}

/** An edge (clients connect to it; TURN_URLS/TURN_SECRET in `extra` put TURN servers in `joined`). */
export function startMediaEdge(prefix: string, extra: Record<string, string> = {}): Promise<EdgeProcess> {
  return startEdge({
    ...baseEnv(prefix),
    REDIS_URL: testInfra().redisUrl,
    // startEdge reads the `edge ready` line, logged at info.
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/** A participant connected to `edge` (not yet joined). */
export async function mediaClient(
  edge: EdgeProcess,
  identity: string,
  room: string,
  ice?: Partial<PeerConfig> | ((servers: readonly WireIceServer[]) => Partial<PeerConfig>),
  codec?: VideoCodec,
): Promise<MediaClient> {
  const jwt = await token({ sub: identity, video: MEDIA_GRANTS });
  return new MediaClient(await EdgeLink.connect(edge.url(), identity, jwt), room, ice, codec);
}

/** An SFU worker bound to loopback. */
export function startSfu(prefix: string, extra: Record<string, string> = {}): Promise<ServiceProcess> {
  return ServiceProcess.start('sfu', {
    ...baseEnv(prefix),
    SFU_ICE_INTERFACE_ADDRESS: '127.0.0.1',
    SFU_ICE_IPV6: 'false',
    ...extra,
  });
}

/** A value of the service's /metrics (first series starting with `series`), 0 when absent. */
export async function metricValue(svc: ServiceProcess, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${svc.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** The remote tracks `client` must receive: every other client's audio and video. */
export function expectedTracks(client: MediaClient, all: readonly MediaClient[]): string[] {
  return all
    .filter((c) => c !== client)
    .flatMap((c) => [`${c.sessionId}/${c.trackIds.audio}`, `${c.sessionId}/${c.trackIds.video}`]);
}

/** Packets per expected remote track, for assertions and failure messages. */
export function packetTable(
  clients: readonly MediaClient[],
  among: readonly MediaClient[] = clients,
): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const c of clients) {
    table[c.identity] = Object.fromEntries(
      expectedTracks(c, among).map((key) => {
        const owner = among.find((o) => key.startsWith(`${o.sessionId}/`));
        const label = `${owner?.identity ?? '?'}:${key.endsWith(owner?.trackIds.audio ?? '\0') ? 'audio' : 'video'}`;
        return [label, c.received.get(key)?.packets ?? 0];
      }),
    );
  }
  return table;
}

/** Whether every client received more than `min` packets on every track of the others. */
export function allFlowing(clients: readonly MediaClient[], min: number): boolean {
  return clients.every((c) => expectedTracks(c, clients).every((key) => (c.received.get(key)?.packets ?? 0) > min));
}

/** Packets of `key` received after `since` is not tracked per packet; this snapshots counts. */
export function snapshot(client: MediaClient): Map<string, number> {
  return new Map([...client.received].map(([k, r]: [string, Received]) => [k, r.packets]));
}

/** The m-sections of an SDP that actively send a track of `publisherSessionId`. */
export function activeSectionsOf(sdp: string, publisherSessionId: string): string[] {
  const sections = sdp.split(/\r?\nm=/).slice(1);
  return sections.filter((s) => s.includes(`a=msid:${publisherSessionId} `) && /a=(sendonly|sendrecv)/.test(s));
}

/**
 * With SFU_TEST_DEBUG=1 (services then log at info): prints the services' output, what every
 * client received and what the workers reported, to investigate a failure.
 */
export function dumpForDebugging(
  services: readonly (ServiceProcess | EdgeProcess | undefined)[],
  clients: readonly MediaClient[],
  signaling: SfuReports | undefined,
): void {
  if (!process.env['SFU_TEST_DEBUG']) return;
  for (const svc of services)
    if (svc && 'name' in svc)
      console.info(`---- ${svc.name} (admin ${svc.adminPort}) output\n${svc.output.join('').slice(-30_000)}`);
    else if (svc) console.info(`---- edge ${svc.edgeId} output\n${svc.tail(200)}`);
  for (const c of clients) {
    const events = c.messages.map((m) => m.type + ('kind' in m ? `:${m.kind}` : '')).join(',');
    console.info(`---- ${c.identity} (${c.sessionId}) events: ${events}; errors: ${c.errors.join(' | ')}`);
  }
  const reports = signaling?.sfuReports.map(
    (c) =>
      `${c.room.slice(0, 16)}:${c.body.type}${c.body.type === 'SfuRoomStatus' ? `:${c.body.status}:${c.body.workerId}` : ''}`,
  );
  console.info(`---- sfu reports: ${reports?.join(', ') ?? ''}`);
}
