// The demo `npm start` runs (after the build): an echo WebSocket server and, beside it, a small page
// where a person can connect, send text or a file, see the echoes, the negotiated extension and
// subprotocol, and the server's live connection list.
//
//   node examples/demo-server.mjs [--port 8080] [--http-port 8081] [--host 127.0.0.1]
//   PORT=9000 HTTP_PORT=9001 node examples/demo-server.mjs
//
// Port 0 picks a free port (the specs do that); the real addresses are printed on start.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRICS_CONTENT_TYPE, WSServer } from '../dist/index.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function option(flag, envName, fallback) {
  const at = process.argv.indexOf(flag);
  if (at >= 0 && process.argv[at + 1] !== undefined) return process.argv[at + 1];
  if (process.env[envName] !== undefined && process.env[envName] !== '') return process.env[envName];
  return fallback;
}

function port(text, what) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`demo-server: ${what} must be a port number 0..65535, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

const host = option('--host', 'HOST', '127.0.0.1');
const wsPort = port(option('--port', 'PORT', '8080'), '--port');
// The page goes on the next port up, or on a free one when the echo server's port is picked freely.
const httpPort = port(option('--http-port', 'HTTP_PORT', wsPort === 0 ? '0' : String(wsPort + 1)), '--http-port');

/** Subprotocols the demo speaks; the first one the client offers wins. */
const PROTOCOLS = ['echo', 'chat'];

// ShutdownTimeout: on Ctrl+C or SIGTERM, a client that does not answer the close is cut off after 5 s.
const server = new WSServer({ localHost: host, localPort: wsPort, config: { BufferMessage: true, ShutdownTimeout: 5 } });
/** Per-connection counters for the connection list. */
const stats = new Map();

// Echoes go out in order and none is lost: when a client reads slower than it sends, the outgoing queue
// passes OutBufferSize and a send is refused with 10035; the echoes then wait here, reading from that
// client pauses, and the ReadyToSend event (the queue has drained) sends them and resumes reading.
const outboxes = new Map();

function drain(id, outbox) {
  while (outbox.length > 0) {
    const [bytes, dataFormat] = outbox[0];
    const code = server.trySend(id, bytes, dataFormat);
    if (code === 10035) {
      server.pauseData(id).catch(() => undefined);
      return;
    }
    if (code !== 0) console.error(`#${id} echo failed: ${code}`);
    outbox.shift();
  }
  outboxes.delete(id);
  server.processData(id).catch(() => undefined);
}

server.on('WebSocketOpenRequest', (e) => {
  const offered = e.subProtocols.split(',').map((p) => p.trim()).filter(Boolean);
  e.subProtocols = offered.find((p) => PROTOCOLS.includes(p)) ?? '';
});
server.on('Connected', (e) => {
  stats.set(e.connectionId, { since: new Date().toISOString(), messagesIn: 0, bytesIn: 0 });
  const c = server.connections.get(e.connectionId);
  console.log(`#${e.connectionId} connected from ${c?.remoteHost}:${c?.remotePort} (${c?.extensions || 'no extension'}, ${c?.protocol || 'no subprotocol'})`);
});
server.on('DataIn', (e) => {
  const s = stats.get(e.connectionId);
  if (s) {
    s.messagesIn++;
    s.bytesIn += e.textB.length;
  }
  const waiting = outboxes.get(e.connectionId);
  if (waiting) return void waiting.push([e.textB, e.dataFormat]);
  const outbox = [[e.textB, e.dataFormat]];
  outboxes.set(e.connectionId, outbox);
  drain(e.connectionId, outbox);
});
server.on('ReadyToSend', (e) => {
  const outbox = outboxes.get(e.connectionId);
  if (outbox) drain(e.connectionId, outbox);
});
server.on('Disconnected', (e) => {
  outboxes.delete(e.connectionId);
  stats.delete(e.connectionId);
  console.log(`#${e.connectionId} disconnected: ${e.statusCode} ${e.description}`);
});
server.on('Error', (e) => console.error(`#${e.connectionId} error ${e.errorCode}: ${e.description}`));

await server.startListening();

/** The live connection list, as the page shows it. */
function connectionList() {
  const list = [];
  for (const [id, c] of server.connections) {
    if (!stats.has(id)) continue;
    list.push({
      id,
      remote: `${c.remoteHost}:${c.remotePort}`,
      origin: c.origin,
      path: c.requestURI,
      protocol: c.protocol,
      extensions: c.extensions,
      ...stats.get(id),
    });
  }
  return list;
}

const page = await readFile(join(here, 'demo-page.html'));
const http = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page);
  } else if (req.method === 'GET' && path === '/connections') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(connectionList()));
  } else if (req.method === 'GET' && path === '/metrics') {
    // The server's figures in the Prometheus text format (docs/OPERATIONS.md).
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
    res.end(server.metricsText());
  } else if (req.method === 'GET' && path === '/config') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ port: server.localPort, protocols: PROTOCOLS }));
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
});
await new Promise((resolve, reject) => {
  http.once('error', reject);
  http.listen(httpPort, host, resolve);
});

const shownHost = host.includes(':') ? `[${host}]` : host;
console.log(`Echo server: ws://${shownHost}:${server.localPort}/`);
console.log(`Demo page:   http://${shownHost}:${http.address().port}/`);
console.log('Press Ctrl+C to stop.');

async function stop() {
  http.close();
  await server.shutdown();
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
