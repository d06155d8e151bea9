// The framing-free ceiling: a TCP (or, with --tls, TLS) server that writes back every chunk as it
// arrives. No WebSocket handshake: the load client runs with --raw against it.
import net from 'node:net';
import tls from 'node:tls';
import { args, ready, tlsOptions } from './common.mjs';

function echo(socket) {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
}

const server = args.tls ? tls.createServer(tlsOptions(), echo) : net.createServer(echo);
server.listen({ host: args.host, port: 0, backlog: 511 }, () => ready(server.address().port, { server: args.tls ? 'raw-tls' : 'raw' }));
