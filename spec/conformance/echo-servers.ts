/**
 * The two servers the suite is run against, both echoing every whole message with its type, both
 * on 127.0.0.1 and a free port, both accepting permessage-deflate when offered:
 * - ours: WSServer with BufferMessage=true (one DataIn per complete message);
 * - the `ws` package's WebSocketServer, as the reference.
 */
import { WebSocketServer } from 'ws';
import { WSServer } from '../../lib/server/ws-server';

export interface EchoTarget {
  /** Short name for tables: 'ours' or 'ws'. */
  name: string;
  port: number;
  stop(): Promise<void>;
}

/** Our echo server. */
export async function startOurEcho(): Promise<EchoTarget> {
  const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, config: { BufferMessage: true } });
  server.on('DataIn', (e) => {
    // Text is valid UTF-8 here (the engine checked it), so decoding and re-encoding is exact.
    const sent = e.dataFormat === 1 ? server.sendText(e.connectionId, e.text) : server.sendBytes(e.connectionId, e.textB);
    // A client may close before its echo is out; that is not the echo server's problem.
    sent.catch(() => undefined);
  });
  // Listener errors (e.g. a handler throwing) must not go unnoticed in the report's reasons.
  server.on('Error', () => undefined);
  await server.startListening();
  return {
    name: 'ours',
    port: server.localPort,
    stop: () => server.shutdown(),
  };
}

/**
 * The reference: `ws` with permessage-deflate enabled (its defaults otherwise). The two broken
 * variants exist only to prove that the suite can fail: one skips UTF-8 validation, one flips the
 * last byte of every echo.
 */
export async function startWsEcho(variant: 'reference' | 'no-utf8-check' | 'corrupting' = 'reference'): Promise<EchoTarget> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true, skipUTF8Validation: variant === 'no-utf8-check' });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      const echo = Buffer.from(data as Buffer);
      if (variant === 'corrupting' && echo.length > 0) echo[echo.length - 1] = echo[echo.length - 1]! ^ 0x01;
      socket.send(echo, { binary: isBinary });
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const address = wss.address();
  return {
    name: variant === 'reference' ? 'ws' : `ws (${variant})`,
    port: typeof address === 'object' && address ? address.port : 0,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
