/**
 * How the load generator speaks to each system under test. The generator code is the same for
 * all three; only connecting, joining and the envelope of a relayed message differ — each in the
 * form that system's real clients use.
 */
import WebSocket from 'ws';
import { benchToken } from '../lib/tokens.js';

/** The systems compared. */
export type TargetName = 'ours' | 'peerjs' | 'floor';

/** The kind of a relayed message, sized like real WebRTC signaling. */
export type SignalKind = 'offer' | 'answer' | 'candidate';

/** A connected client of some target. */
export interface TargetClient {
  readonly id: string;
  readonly ws: WebSocket;
}

const SDP_PAD = (n: number) => 'a=x-pad:' + 'x'.repeat(Math.max(0, n)) + '\r\n';
// Offers and answers of a browser with one audio and one video m-line are a few KB; candidates
// are one line. The marker `bench<N>` lets the receiver find the message without parsing.
const OFFER_BYTES = 2600;
const ANSWER_BYTES = 1900;

function sdp(kind: 'offer' | 'answer', n: number): string {
  const head = `v=0\r\no=- ${n} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=x-mark:bench${n}\r\n`;
  return head + SDP_PAD((kind === 'offer' ? OFFER_BYTES : ANSWER_BYTES) - head.length - 12);
}

function candidate(n: number): { candidate: string; sdpMid: string; sdpMLineIndex: number } {
  return {
    candidate: `candidate:842163049 1 udp 1677729535 192.0.2.10 ${40000 + (n % 20000)} typ srflx raddr 10.0.0.5 rport 51234 generation 0 ufrag bench${n} network-cost 999`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  };
}

/** The frame `from` sends to reach `to` with message number `n` of `kind`. */
export function frame(target: TargetName, to: string, kind: SignalKind, n: number): string {
  const body = kind === 'candidate' ? { candidate: candidate(n) } : { sdp: sdp(kind, n) };
  switch (target) {
    case 'ours':
      return JSON.stringify({ type: 'signal', to, kind, ...body });
    case 'peerjs':
      // What the PeerJS client library sends: OFFER/ANSWER/CANDIDATE with an opaque payload.
      return JSON.stringify({
        type: kind.toUpperCase(),
        dst: to,
        payload:
          kind === 'candidate'
            ? { ...body, type: 'media', connectionId: 'mc_bench' }
            : { sdp: { type: kind, ...body }, type: 'media', connectionId: 'mc_bench' },
      });
    case 'floor':
      return JSON.stringify({ to, kind, ...body });
  }
}

/** A received frame as text (binaryType is the default 'nodebuffer', so frames are Buffers). */
export function asText(data: WebSocket.RawData): string {
  return (data as Buffer).toString('utf8');
}

/** The message number in a received frame, or -1 when the frame is not a relayed message. */
export function markerOf(text: string): number {
  const i = text.indexOf('bench');
  if (i < 0) return -1;
  let n = 0;
  let j = i + 5;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return j === i + 5 ? -1 : n;
}

/**
 * Opens a socket and resolves once it is open — and, with `greeting`, once a first frame
 * matching it arrived (listened for from the start: it can come in the upgrade's own packet).
 */
export function open(
  url: string,
  headers: Record<string, string> = {},
  greeting?: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const greeted = greeting ? nextFrame(ws, greeting, `the greeting of ${url}`, timeoutMs) : Promise.resolve('');
    greeted.catch(() => undefined);
    ws.once('open', () => void greeted.then(() => resolve(ws), reject));
    ws.once('error', (err) => reject(err));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
  });
}

/** Resolves with the first text frame satisfying `match` (bounded). */
export function nextFrame(
  ws: WebSocket,
  match: (text: string) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const text = asText(data);
      if (!match(text)) return;
      done();
      resolve(text);
    };
    const onClose = (code: number) => {
      done();
      reject(new Error(`socket closed (${code}) while waiting for ${what}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}

/** Keeps a client alive the way that system's clients do (pong to our pings, PeerJS HEARTBEAT). */
export function keepAlive(target: TargetName, ws: WebSocket): () => void {
  if (target === 'ours') {
    const onMessage = (data: WebSocket.RawData) => {
      const text = asText(data);
      if (text.length < 100 && text.includes('"type":"ping"')) {
        ws.send(JSON.stringify({ type: 'pong', ts: (JSON.parse(text) as { ts: number }).ts }));
      }
    };
    ws.on('message', onMessage);
    return () => ws.off('message', onMessage);
  }
  if (target === 'peerjs') {
    const timer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"HEARTBEAT"}'), 5000);
    return () => clearInterval(timer);
  }
  return () => undefined;
}

/** Connects `id` to a target (for ours: authenticated by a bearer token at the upgrade). */
export async function connect(target: TargetName, baseUrl: string, id: string): Promise<TargetClient> {
  switch (target) {
    case 'ours': {
      const ws = await open(baseUrl, { authorization: `Bearer ${await benchToken(id)}` });
      return { id, ws };
    }
    case 'peerjs': {
      const url = `${baseUrl}?key=peerjs&id=${encodeURIComponent(id)}&token=t${id}`;
      return { id, ws: await open(url, {}, (t) => t.includes('"OPEN"')) };
    }
    case 'floor':
      return { id, ws: await open(`${baseUrl}?id=${encodeURIComponent(id)}`) };
  }
}

/** Our join: `join {room}` → `joined`, with the participant list. */
export async function joinRoom(client: TargetClient, room: string, timeoutMs = 30_000): Promise<string> {
  const joined = nextFrame(
    client.ws,
    (t) => t.startsWith('{"type":"joined"') || t.includes('"type":"joined"') || t.includes('"type":"error"'),
    `joined of ${client.id}`,
    timeoutMs,
  );
  client.ws.send(JSON.stringify({ type: 'join', room }));
  const text = await joined;
  if (text.includes('"type":"error"') && !text.includes('"type":"joined"'))
    throw new Error(`join of ${client.id} refused: ${text}`);
  return text;
}
