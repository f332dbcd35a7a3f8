/**
 * Reference 2, the floor: a minimal in-memory relay on uWebSockets.js. A client connects with
 * `?id=<name>`; each text frame `{"to": "<name>", …}` is parsed (as any relay must, to route) and
 * forwarded unchanged to that client. No auth, no validation, no durability: nothing can be
 * faster on this machine with this stack. Prints `{"msg":"ready","port":N}`; SIGTERM exits.
 */
import uWS from 'uWebSockets.js';

interface Data {
  id: string;
}

const sockets = new Map<string, uWS.WebSocket<Data>>();
const decoder = new TextDecoder();
const app = uWS.App().ws<Data>('/*', {
  maxPayloadLength: 64 * 1024,
  idleTimeout: 0,
  upgrade: (res, req, context) => {
    const id = new URLSearchParams(req.getQuery() ?? '').get('id') ?? '';
    res.upgrade(
      { id },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => void sockets.set(ws.getUserData().id, ws),
  message: (ws, message) => {
    const text = decoder.decode(message);
    const to = (JSON.parse(text) as { to?: string }).to;
    if (to !== undefined) sockets.get(to)?.send(text, false);
  },
  close: (ws) => void sockets.delete(ws.getUserData().id),
});
app.listen('127.0.0.1', Number(process.env['PORT'] ?? 0), (socket) => {
  if (!socket) {
    process.stderr.write('uws-relay: listen failed\n');
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ msg: 'ready', port: uWS.us_socket_local_port(socket) }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
