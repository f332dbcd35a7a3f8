/**
 * uWebSockets.js loads on the project's Node 24 toolchain (on glibc < 2.38 hosts that only works
 * with the private glibc of infra/toolchain/ensure-node.sh) and serves a real WebSocket round trip
 * to Node's built-in client.
 */
import uWS from 'uWebSockets.js';
import { afterEach, describe, expect, test } from 'vitest';

describe('uWebSockets.js on Node 24', () => {
  let listenSocket: uWS.us_listen_socket | undefined;

  afterEach(() => {
    if (listenSocket) uWS.us_listen_socket_close(listenSocket);
    listenSocket = undefined;
  });

  test('tests run on Node 24', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(24);
  });

  test('a WebSocket client gets the server reply to its message', async () => {
    const app = uWS.App().ws('/ws', {
      message: (ws, message, isBinary) => {
        // A reply the client could not have produced alone: proves the server handled the message.
        ws.send(`echo:${Buffer.from(message).toString()}`, isBinary);
      },
    });
    listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
      app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('uWS could not listen'))));
    });
    const port = uWS.us_socket_local_port(listenSocket);
    expect(port).toBeGreaterThan(0);

    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    try {
      await new Promise<void>((resolve, reject) => {
        client.addEventListener('open', () => resolve(), { once: true });
        client.addEventListener('error', () => reject(new Error('WebSocket did not open')), { once: true });
      });
      const reply = new Promise<string>((resolve) => {
        client.addEventListener('message', (event) => resolve(String(event.data)), { once: true });
      });
      client.send('hello');
      expect(await reply).toBe('echo:hello');
    } finally {
      client.close();
    }
  });
});
