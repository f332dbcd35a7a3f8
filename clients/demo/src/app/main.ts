/**
 * The demo page: join a room with camera and microphone, see everyone, mute, leave; the
 * connection state is always visible and reconnects show as they happen. `window.demo` exposes
 * the session to the browser end-to-end tests (test/e2e/browser).
 * Query parameters `room`, `name`, `mode` (sfu|p2p) and `autojoin=1` fill in and submit the form.
 */
import { P2PMesh, SfuSession, SignalClient, type ServerMessage } from '@sig/client';
import { renderState, Tiles, type Tile } from './view.js';

interface DemoConfig {
  readonly edgeUrl: string;
  readonly devTokens: boolean;
}

/** What the page exposes for tests and curious developers. */
export interface DemoHandle {
  readonly client: SignalClient;
  readonly media: P2PMesh | SfuSession;
  /** Every sequenced room message the client applied, in order. */
  readonly applied: { type: string; seq: number }[];
  /** Data messages received. */
  readonly data: { from: string; payload: string }[];
  /** States the client went through. */
  readonly states: string[];
  /** framesDecoded summed over the remote video tracks shown. */
  framesDecoded(): Promise<number>;
}

declare global {
  interface Window {
    demo?: DemoHandle;
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const log = (line: string): void => {
  const el = $('log');
  el.textContent = `${new Date().toISOString().slice(11, 23)} ${line}\n${el.textContent ?? ''}`.slice(0, 20_000);
};

async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${url}: HTTP ${res.status}`);
  return body;
}

async function start(room: string, name: string, mode: 'sfu' | 'p2p'): Promise<void> {
  const config = await fetchJson<DemoConfig>('config.json');
  if (!config.devTokens) throw new Error('this server issues no tokens (start it with DEMO_DEV_TOKENS=true)');
  const identity = `${name.replace(/[^A-Za-z0-9._~-]/g, '').slice(0, 40) || 'guest'}-${Math.random().toString(36).slice(2, 6)}`;
  const token = async (): Promise<string> =>
    (await fetchJson<{ token: string }>(`dev/token?${new URLSearchParams({ identity, name, room }).toString()}`)).token;
  const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  const client = new SignalClient({ url: config.edgeUrl, token });
  const tiles = new Tiles($('tiles'));
  const self = tiles.tile('self', `${name} (you)`);
  self.video.srcObject = local;
  self.video.muted = true;

  const applied: { type: string; seq: number }[] = [];
  const data: { from: string; payload: string }[] = [];
  const states: string[] = [];
  const sequenced = (m: ServerMessage): void => {
    if ('seq' in m && typeof m.seq === 'number') applied.push({ type: m.type, seq: m.seq });
  };
  for (const type of [
    'joined',
    'resumed',
    'participant_joined',
    'participant_updated',
    'participant_left',
    'track_published',
    'track_unpublished',
    'track_muted',
    'data',
    'room_updated',
  ] as const)
    client.on(type, sequenced);
  client.on('state', ({ state }) => {
    states.push(state.status);
    renderState($('state'), state);
    log(
      `state: ${state.status}${state.status === 'reconnecting' ? ` (attempt ${state.attempt + 1}, in ${state.delayMs} ms)` : ''}`,
    );
  });
  client.on('participants', (participants) => {
    tiles.sync(
      [...participants.values()].map((p) => ({
        key: p.sessionId,
        label: `${p.name}${p.status === 'reconnecting' ? ' (reconnecting…)' : ''}`,
      })),
    );
  });
  client.on('data', (m) => {
    data.push({ from: m.from, payload: m.payload });
    log(`${m.from}: ${m.payload}`);
  });
  client.on('resume_failed', (m) => log(`resume failed (${m.reason}): joining again`));

  const show = (key: string, stream: MediaStream | undefined, track: MediaStreamTrack): void => {
    const tile: Tile = tiles.tile(key, client.participants.get(key)?.name ?? key);
    const media = stream ?? new MediaStream([track]);
    if (tile.video.srcObject !== media) tile.video.srcObject = media;
  };
  let media: P2PMesh | SfuSession;
  if (mode === 'p2p') {
    const mesh = new P2PMesh(client, { localStream: local });
    mesh.on('track', ({ sessionId, track, streams }) => show(sessionId, streams[0], track));
    mesh.on('failure', (e) => log(`media: ${e.message}`));
    media = mesh;
  } else {
    const sfu = new SfuSession(client);
    sfu.on('track', ({ publisherSessionId, track, streams }) => show(publisherSessionId, streams[0], track));
    sfu.on('failure', (e) => log(`media: ${e.message}`));
    media = sfu;
  }

  window.demo = {
    client,
    media,
    applied,
    data,
    states,
    async framesDecoded() {
      const pcs = media instanceof P2PMesh ? [...media.connections.values()] : [media.subscriber];
      let frames = 0;
      for (const pc of pcs) {
        if (!pc) continue;
        (await pc.getStats()).forEach((r: { type?: string; kind?: string; framesDecoded?: number }) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0;
        });
      }
      return frames;
    },
  };

  $('join').hidden = true;
  $('controls').hidden = false;
  const joined = await client.join(room);
  log(`joined ${room} as ${identity} (session ${joined.sessionId}, seq ${joined.seq})`);
  if (media instanceof SfuSession) await media.publish(local);

  const toggle = (button: HTMLButtonElement, track: MediaStreamTrack | undefined, on: string, off: string): void => {
    button.onclick = () => {
      if (!track) return;
      const muted = track.enabled;
      if (media instanceof SfuSession) void media.setMuted(track, muted).catch((e: Error) => log(e.message));
      else track.enabled = !muted;
      button.textContent = muted ? on : off;
    };
  };
  toggle($('mic'), local.getAudioTracks()[0], 'Unmute mic', 'Mute mic');
  toggle($('cam'), local.getVideoTracks()[0], 'Start camera', 'Stop camera');
  $('chat').onkeydown = (e: KeyboardEvent) => {
    const input = e.target as HTMLInputElement;
    if (e.key !== 'Enter' || input.value === '') return;
    void client.sendData(input.value).catch((error: Error) => log(error.message));
    log(`me: ${input.value}`);
    input.value = '';
  };
  $('leave').onclick = () => {
    media.close();
    for (const t of local.getTracks()) t.stop();
    void client.leave().then(() => location.reload());
  };
}

const params = new URLSearchParams(location.search);
$<HTMLInputElement>('room').value = params.get('room') ?? '';
$<HTMLInputElement>('name').value = params.get('name') ?? '';
if (params.get('mode') === 'p2p') $<HTMLSelectElement>('mode').value = 'p2p';
$('join').onsubmit = (e) => {
  e.preventDefault();
  const mode = $<HTMLSelectElement>('mode').value === 'p2p' ? 'p2p' : 'sfu';
  start($<HTMLInputElement>('room').value, $<HTMLInputElement>('name').value, mode).catch((error: Error) => {
    log(`error: ${error.message}`);
    $('state').textContent = `error: ${error.message}`;
  });
};
if (params.get('autojoin') === '1') $<HTMLFormElement>('join').requestSubmit();
