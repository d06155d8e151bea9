/**
 * Reads a connection's ClientHello off its TCP socket before TLS starts: SSLConnectionRequest shows what
 * the client offers, and the certificate is chosen for it, before any TLS state exists. The bytes read
 * are handed back whole, to be put back into the socket for TLS to read again.
 */
import type { Socket } from 'node:net';
import { parseClientHello, type ClientHello } from './client-hello';

export type HelloReading =
  | { readonly status: 'hello'; readonly hello: ClientHello; /** Everything read, the ClientHello first. */ readonly bytes: Buffer }
  | { readonly status: 'invalid'; readonly reason: string };

/**
 * Listens to `socket` until the first TLS record is complete, then calls `done` once. Reading itself is
 * the engine's to allow. Returns a function that stops listening (the connection ended first).
 */
export function readClientHello(socket: Socket, done: (reading: HelloReading) => void): () => void {
  const chunks: Buffer[] = [];
  let received = 0;
  let needed = 1;
  const stop = () => void socket.off('data', onData);
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    // Look again only once a whole record may be there: tiny chunks cost no repeated parsing.
    if (received < needed) return;
    const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    chunks.length = 0;
    chunks.push(bytes);
    const result = parseClientHello(bytes);
    if (result.status === 'incomplete') {
      needed = result.needed;
      return;
    }
    stop();
    done(result.status === 'invalid' ? { status: 'invalid', reason: result.reason } : { status: 'hello', hello: result.hello, bytes });
  };
  socket.on('data', onData);
  return stop;
}
