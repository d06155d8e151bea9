// The classic echo server with the modern API: typed properties, events as they occur, async methods.
//
//   node examples/echo-modern.mjs [port] [certificate file] [certificate password]
import { WSServer } from 'wsserver-compat';

const [port = '8080', certFile, certPassword = ''] = process.argv.slice(2);
const server = new WSServer({ localPort: Number(port), config: { BufferMessage: true } });

server.on('Connected', (e) => console.log(`Connected: ${e.connectionId} from ${server.connections.get(e.connectionId)?.remoteHost}`));
// Echo each message as it came (trySend queues it or answers 10035 when the client's queue is full).
// Refused echoes wait, in order, with reading from that client paused, until ReadyToSend says the
// queue has drained: nothing is lost however slowly a client reads.
const waiting = new Map();
function echo(id, queue) {
  while (queue.length > 0) {
    const [bytes, dataFormat] = queue[0];
    const code = server.trySend(id, bytes, dataFormat);
    if (code === 10035) return void server.pauseData(id).catch(() => undefined);
    if (code !== 0) console.log(`Send failed: ${code}`);
    queue.shift();
  }
  waiting.delete(id);
  server.processData(id).catch(() => undefined);
}
server.on('DataIn', (e) => {
  const queue = waiting.get(e.connectionId);
  if (queue) return void queue.push([e.textB, e.dataFormat]);
  waiting.set(e.connectionId, [[e.textB, e.dataFormat]]);
  echo(e.connectionId, waiting.get(e.connectionId));
});
server.on('ReadyToSend', (e) => {
  if (waiting.has(e.connectionId)) echo(e.connectionId, waiting.get(e.connectionId));
});
server.on('Disconnected', (e) => waiting.delete(e.connectionId));
server.on('Disconnected', (e) => console.log(`Disconnected: ${e.connectionId} (${e.statusCode}${e.description ? ` ${e.description}` : ''})`));
server.on('Error', (e) => console.log(`Error: ${e.connectionId} ${e.errorCode} ${e.description}`));

if (certFile) {
  server.sslCertStoreType = 99; // cstAuto
  server.sslCertStore = certFile;
  server.sslCertStorePassword = certPassword;
  server.sslCertSubject = '*';
}

try {
  await server.startListening();
} catch (error) {
  console.error(`Error ${error.code}: ${error.message}`);
  process.exit(1);
}
console.log(`Listening on port ${server.localPort} (${certFile ? 'wss' : 'ws'}). Press Ctrl-C to stop.`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await server.shutdown();
    console.log('Stopped.');
  });
}
