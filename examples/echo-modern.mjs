// The classic echo server with the modern API: typed properties, events as they occur, async methods.
//
//   node examples/echo-modern.mjs [port] [certificate file] [certificate password]
import { WSServer } from 'wsserver-compat';

const [port = '8080', certFile, certPassword = ''] = process.argv.slice(2);
const server = new WSServer({ localPort: Number(port), config: { BufferMessage: true } });

server.on('Connected', (e) => console.log(`Connected: ${e.connectionId} from ${server.connections.get(e.connectionId)?.remoteHost}`));
server.on('DataIn', (e) => {
  const echo = e.dataFormat === 1 ? server.sendText(e.connectionId, e.text) : server.sendBytes(e.connectionId, e.textB);
  echo.catch((error) => console.log(`Send failed: ${error.code} ${error.message}`));
});
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
