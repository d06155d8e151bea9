// An echo server that stops the way a process manager expects (docs/OPERATIONS.md, "Stopping"): on
// SIGTERM or SIGINT it stops accepting, closes every connection once what was queued for it is out,
// waits at most ShutdownTimeout seconds for the clients' replies, and exits 0. A second signal exits at
// once. Its metrics are on 127.0.0.1:<metrics port>/metrics when one is given.
//
//   node examples/graceful-shutdown.mjs [port] [drain seconds] [metrics port]
//   node examples/graceful-shutdown.mjs 8080 10 9464
import { WSServer } from '../dist/index.mjs';

const port = Number(process.argv[2] ?? 8080);
const drainSeconds = Number(process.argv[3] ?? 10);
const metricsPort = Number(process.argv[4] ?? 0);

const server = new WSServer({
  localHost: '127.0.0.1',
  localPort: port,
  config: { BufferMessage: true, WaitForCloseResponse: true, ShutdownTimeout: drainSeconds, MetricsPort: metricsPort },
});
server.on('DataIn', (e) => {
  // Echo the whole message as it came; a client too slow to read is closed by its budgets.
  const code = server.trySend(e.connectionId, e.textB, e.dataFormat);
  if (code !== 0) console.error(`#${e.connectionId} echo refused: ${code}`);
});
server.on('Disconnected', (e) => console.log(`#${e.connectionId} disconnected: ${e.statusCode}`));
server.on('Error', (e) => console.error(`#${e.connectionId} error ${e.errorCode}: ${e.description}`));

await server.startListening();
console.log(`Listening on port ${server.localPort}${metricsPort ? `, metrics on 127.0.0.1:${metricsPort}/metrics` : ''}`);

let stopping = false;

async function drainAndExit(signal) {
  if (stopping) {
    console.log(`${signal} again: exiting without waiting.`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: draining ${server.connections.size} connection(s), at most ${drainSeconds} s.`);
  // Stops listening first, so new clients are refused by the kernel (and a load balancer moves them
  // elsewhere); then closes each connection and waits for the closes, bounded by ShutdownTimeout.
  await server.shutdown();
  const { failures, closeCodes } = server.metrics();
  console.log(`Drained (close codes ${JSON.stringify(closeCodes)}, destroyed at the deadline: ${failures.shutdownDeadline}); exiting.`);
  process.exit(0);
}

process.on('SIGTERM', () => void drainAndExit('SIGTERM'));
process.on('SIGINT', () => void drainAndExit('SIGINT'));
