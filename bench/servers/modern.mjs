// This project's modern API: WSServer with ProcessIdleEvents (its default), whole messages
// (BufferMessage), echoing each message in its own format.
//
// Settings beyond the defaults, for parity with `ws`: TcpNoDelay=true (ws sets TCP_NODELAY on every
// socket) and a large OutBufferSize (ws queues without limit; with the 1 MiB default an echo of two
// 1 MiB messages in flight would fail with 10035 and lose a message). EnablePermessageDeflate keeps its
// default (true): deflate is negotiated only when the client offers it.
import { args, certFiles, distModule, pending, ready } from './common.mjs';

const { WSServer } = await import(distModule('index.mjs'));
const server = new WSServer({
  localHost: args.host,
  localPort: 0,
  connectionBacklog: 511,
  config: { BufferMessage: true, MaxConnections: 100000, TcpNoDelay: true, OutBufferSize: 256 * 1024 * 1024 },
});
const ignore = () => {};
server.on('DataIn', (e) => {
  (e.dataFormat === 1 ? server.sendText(e.connectionId, e.text) : server.sendBytes(e.connectionId, e.textB)).catch(ignore);
});
server.on('Error', ignore);
if (args.tls) {
  try {
    server.sslCertStoreType = 6; // PEM key file
    server.sslCertStore = certFiles.keyAndCert;
    server.sslCertSubject = '*';
  } catch (error) {
    pending(`TLS settings refused: ${error.message}`);
  }
}
try {
  await server.startListening();
} catch (error) {
  if (args.tls) pending(`TLS: ${error.code ?? ''} ${error.message}`);
  throw error;
}
ready(server.localPort, { server: args.tls ? 'modern-tls' : 'modern' });
