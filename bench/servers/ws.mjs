// The reference: the `ws` package (dev dependency), echoing each message in its own format.
// --deflate turns perMessageDeflate on (ws defaults otherwise: threshold 1024, concurrency 10);
// --tls serves wss:// from an https server with the throw-away certificate.
import https from 'node:https';
import { WebSocketServer } from 'ws';
import { args, ready, tlsOptions } from './common.mjs';

function onConnection(socket) {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
}

if (args.tls) {
  const server = https.createServer(tlsOptions());
  const wss = new WebSocketServer({ server, perMessageDeflate: args.deflate });
  wss.on('connection', onConnection);
  server.listen({ host: args.host, port: 0, backlog: 511 }, () => ready(server.address().port, { server: 'ws-tls' }));
} else {
  const wss = new WebSocketServer({ host: args.host, port: 0, backlog: 511, perMessageDeflate: args.deflate });
  wss.on('connection', onConnection);
  wss.on('listening', () => ready(wss.address().port, { server: 'ws' }));
}
