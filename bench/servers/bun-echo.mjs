// The uWebSockets peer: a `Bun.serve` echo (Bun's WebSocket server is uWebSockets, in C++), run by the
// `bun` binary that bench/package.json installs (bench/run.mjs finds it; it is never a dependency of the
// package). Same flags, ready line and control channel as the Node servers (common.mjs); each message is
// echoed in its own format (a string goes back as text, a Buffer as binary).
//
// Settings beyond Bun's defaults, for parity with our servers: a 256 MiB backpressure limit (our
// OutBufferSize; Bun would otherwise stop sending at 16 MiB), a 64 MiB message limit (large sends 1 MiB),
// no idle timeout (the idle scenario holds connections open). Bun takes no listen backlog option.
// --deflate offers permessage-deflate (Bun then compresses only the replies it finds worth it).
import { args, certFiles, pending, ready } from './common.mjs';

if (typeof Bun === 'undefined') pending('bun-echo.mjs runs under Bun (bench/run.mjs starts it with the bun binary)');

let server;
try {
  server = Bun.serve({
    hostname: args.host,
    port: 0,
    ...(args.tls ? { tls: { key: Bun.file(certFiles.key), cert: Bun.file(certFiles.cert) } } : {}),
    fetch(request, srv) {
      if (srv.upgrade(request)) return undefined;
      return new Response('WebSocket only\n', { status: 426 });
    },
    websocket: {
      message(ws, message) {
        ws.send(message);
      },
      perMessageDeflate: args.deflate,
      maxPayloadLength: 64 * 1024 * 1024,
      backpressureLimit: 256 * 1024 * 1024,
      closeOnBackpressureLimit: false,
      idleTimeout: 0,
    },
  });
} catch (error) {
  pending(`Bun.serve failed: ${error.message}`);
}
ready(server.port, { server: args.tls ? 'bun-tls' : 'bun', bun: Bun.version });
