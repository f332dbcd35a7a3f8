/**
 * Reference 1: PeerJS server (npm `peer`), the common in-memory Node signaling server, with its
 * defaults except the concurrent-client cap (the benchmark opens more than its 5,000).
 * Prints one JSON line `{"msg":"ready","port":N}` once it listens; SIGTERM exits.
 */
import { PeerServer } from 'peer';

const server = PeerServer(
  { port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1', path: '/', concurrent_limit: 100_000 },
  (http) => {
    const address = http.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(JSON.stringify({ msg: 'ready', port }) + '\n');
  },
);
void server;
process.on('SIGTERM', () => process.exit(0));
