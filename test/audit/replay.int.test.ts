import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../services/projector/src/cli/main.js';
import type { AuditRecord } from '../../services/projector/src/cli/records.js';
import { randomId } from '../support/ids.js';
import { ServiceProcess } from '../support/service-process.js';
import { TestClient } from '../edge/support/client.js';
import { killAll, startEdge, type EdgeProcess } from '../edge/support/edge-process.js';
import { edgeFixture, type EdgeFixture } from '../edge/support/fixture.js';
import { bearer, token } from '../edge/support/tokens.js';
import { corruptions } from './corruptions.js';

// A real three-party session recorded through two edges and the projector (snapshots every few
// events), then audited from Kafka with signal-replay: a readable timeline, an NDJSON export that
// verifies clean, and corrupted copies of that export in which each violation is reported.

const OFFER =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' +
  'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n' +
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=recvonly\r\n';

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (t) => (out += t),
    err: { isTTY: false, write: (t: string) => (err += t) },
    env,
  });
  return { code, out, err };
}

describe('signal-replay on a recorded three-party session', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  const edges: EdgeProcess[] = [];
  const clients: TestClient[] = [];
  const room = randomId('room');
  const dir = mkdtempSync(join(tmpdir(), 'signal-replay-'));
  let exported: AuditRecord[] = [];

  const connect = async (edge: EdgeProcess, identity: string) => {
    const c = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: identity })) });
    clients.push(c);
    return c;
  };
  const join3 = async (c: TestClient) => {
    c.send({ type: 'join', id: 'join', room });
    await c.take((m) => m.type === 'joined', 'joined', 20_000);
  };

  beforeAll(async () => {
    fx = await edgeFixture();
    projector = await ServiceProcess.start('projector', {
      ...fx.env(),
      EDGE_LIVENESS_GRACE: '10m',
      SNAPSHOT_EVERY_EVENTS: '6',
    });
    edges.push(await startEdge(fx.env({ EDGE_ID: 'edge-a' })), await startEdge(fx.env({ EDGE_ID: 'edge-b' })));
    const alice = await connect(edges[0]!, 'alice');
    const bob = await connect(edges[1]!, 'bob');
    const carol = await connect(edges[0]!, 'carol');
    for (const c of [alice, bob, carol]) await join3(c);
    alice.send({ type: 'signal', id: 'offer', to: 'bob', kind: 'offer', sdp: OFFER });
    await bob.take((m) => m.type === 'signal', 'the offer at bob');
    bob.send({
      type: 'signal',
      id: 'answer',
      to: 'alice',
      kind: 'answer',
      sdp: OFFER.replace('a=recvonly', 'a=sendonly'),
    });
    await alice.take((m) => m.type === 'signal', 'the answer at alice');
    for (let i = 0; i < 6; i++) [alice, bob, carol][i % 3]!.send({ type: 'data', id: `d${i}`, payload: `m${i}` });
    alice.send({ type: 'signal', id: 'nobody', to: 'zed', kind: 'offer', sdp: OFFER });
    // The edge acks (logged); the projector's refusal follows as an error.
    await alice.take((m) => m.type === 'error', 'the refusal of the offer to nobody');
    carol.send({ type: 'leave', id: 'bye' });
    await alice.take((m) => m.type === 'participant_left', 'carol left (alice)');
    await bob.take((m) => m.type === 'participant_left', 'carol left (bob)');
  });

  afterAll(async () => {
    for (const c of clients) if (c.isOpen) c.close();
    await killAll(edges);
    await projector?.kill();
    await fx?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a readable timeline: who did what to whom, SDP summarised, full with --full-sdp', async () => {
    const { code, out } = await cli(['--room', room, '--commands'], fx.env());
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    const offer = lines.find((l) => l.includes('PeerSignalRelayed') && l.includes('OFFER'));
    expect(offer).toMatch(
      /#\d+\s+alice\s+PeerSignalRelayed\s+→ bob\s+OFFER 2 tracks: audio\(opus\) sendrecv, video\(VP8\) recvonly/,
    );
    expect(lines.some((l) => /carol\s+ParticipantLeft\s+→ room\s+carol left: CLIENT_LEFT/.test(l))).toBe(true);
    expect(lines.some((l) => /alice\s+CommandRejected\s+→ alice\s+participant_not_found/.test(l))).toBe(true);
    expect(lines.filter((l) => l.includes('ParticipantJoined')).map((l) => /#\d+\s+(\w+)/.exec(l)?.[1])).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    expect(lines.some((l) => l.includes('cmd:Join'))).toBe(true);
    const full = await cli(['--room', room, '--full-sdp'], fx.env());
    expect(full.out).toContain('      | a=rtpmap:111 opus/48000/2');
    const csv = await cli(['--participant', 'carol', '--room', room, '--format', 'csv'], fx.env());
    expect(csv.out.split('\n')[0]).toBe('time,room,seq,topic,partition,offset,actor,event,target,summary');
    expect(csv.out).toContain('ParticipantLeft');
    expect(csv.out).not.toContain('PeerSignalRelayed'); // carol took no part in alice and bob's offer
  });

  it('exports NDJSON that verifies clean, from Kafka and offline, through the bin', async () => {
    const { code, out } = await cli(['--room', room, '--format', 'ndjson'], fx.env());
    expect(code).toBe(0);
    exported = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    const topics = new Set(exported.map((r) => r.topic));
    expect([...topics].sort()).toEqual(['commands', 'deliveries', 'roomEvents', 'snapshots']);
    const file = join(dir, 'session.ndjson');
    writeFileSync(file, out);
    const live = await cli(['verify', '--room', room], fx.env());
    expect(live.out).toMatch(/^clean: 1 room\(s\), \d+ events/);
    expect(live.code).toBe(0);
    const bin = join(import.meta.dirname, '../../services/projector/bin/signal-replay.js');
    const offline = await promisify(execFile)(process.execPath, [bin, 'verify', '--input', file, '--json']);
    const report = JSON.parse(offline.stdout) as { clean: boolean; counts: { events: number; snapshots: number } };
    expect(report.clean).toBe(true);
    expect(report.counts.snapshots).toBe(1);
    expect(report.counts.events).toBe(exported.filter((r) => r.topic === 'roomEvents').length);
  });

  it.each(corruptions)('reports $name with room, seq and kind (exit 1)', async ({ corrupt, expected }) => {
    expect(exported.length).toBeGreaterThan(0);
    const { records, seq } = corrupt(exported, room);
    const file = join(dir, `corrupt-${randomId('log')}.ndjson`);
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    const { code, out } = await cli(['verify', '--input', file, '--json'], {});
    const report = JSON.parse(out) as { violations: { room: string; seq: number | null; kind: string }[] };
    expect(code).toBe(1);
    expect(report.violations.map((v) => [v.room, v.seq, v.kind])).toEqual(expected(room, seq, exported));
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
  });
});
