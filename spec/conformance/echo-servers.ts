/**
 * The two servers the suite is run against, both echoing every whole message with its type, both
 * on 127.0.0.1 and a free port, both accepting permessage-deflate when offered:
 * - ours: WSServer with BufferMessage=true (one DataIn per complete message);
 * - the `ws` package's WebSocketServer, as the reference.
 * Either can listen with TLS (wss) instead, with the test certificates of spec/fixtures/tls: ours
 * from the PFX store, `ws` on node:https; the target then tells the probes how to reach it.
 */
import { createServer as createHttpsServer } from 'node:https';
import { WebSocketServer } from 'ws';
import type { SettingValue } from '../../lib/server/settings';
import { WSServer } from '../../lib/server/ws-server';
import { PASSWORD, fixturePath, fixtureText } from '../tls/fixtures';
import type { Transport } from './probe';

export interface EchoTarget {
  /** Short name for tables: 'ours' or 'ws'. */
  name: string;
  port: number;
  /** How probes connect: plain TCP when absent, TLS for a wss target. */
  transport?: Transport;
  stop(): Promise<void>;
}

export interface EchoOptions {
  /** Listen with TLS (wss://) instead of plain TCP. */
  tls?: boolean;
}

/** TLS 1.2 and 1.3 (SSLEnabledProtocols bits), so ours negotiates what node:https does by default. */
const TLS12_AND_13 = 3072 + 12288;

/** The client side of a wss target: trust the test CA and check the name, as a real client would. */
function wssTransport(): Transport {
  return { tls: { ca: fixtureText('ca.crt'), servername: 'localhost' } };
}

interface Echo {
  text: string | null;
  bytes: Buffer;
}

/**
 * Makes `server` (BufferMessage=true) answer every whole message with the same message, as an
 * asynchronous application must: a send refused with 10035 (more than OutBufferSize already waits
 * for that client; over TLS this comes sooner than over TCP, whose kernel buffer takes more) waits
 * in an outbox with every later echo, reading stops meanwhile, and ReadyToSend drains the outbox.
 */
export function echoEveryMessage(server: WSServer): void {
  const outboxes = new Map<number, Echo[]>();

  /** Sends from the front of the outbox until it is empty (reading resumes) or a send is refused. */
  const drain = (id: number, outbox: Echo[]): void => {
    const connection = server.connections.get(id);
    if (!connection) return void outboxes.delete(id);
    while (outbox.length > 0) {
      const echo = outbox[0]!;
      // Text is valid UTF-8 here (the engine checked it), so decoding and re-encoding is exact.
      const sent = echo.text !== null ? server.sendText(id, echo.text) : server.sendBytes(id, echo.bytes);
      // A client may close before its echo is out; that is not the echo server's problem.
      sent.catch(() => undefined);
      // An asynchronous send is all or nothing and is decided before it returns: a refusal turns
      // WSConnectionReadyToSend false until the ReadyToSend event.
      if (!connection.readyToSend) {
        connection.acceptData = false;
        return;
      }
      outbox.shift();
    }
    outboxes.delete(id);
    connection.acceptData = true;
  };

  server.on('DataIn', (e) => {
    const echo: Echo = e.dataFormat === 1 ? { text: e.text, bytes: e.textB } : { text: null, bytes: e.textB };
    const waiting = outboxes.get(e.connectionId);
    if (waiting) return void waiting.push(echo);
    const outbox = [echo];
    outboxes.set(e.connectionId, outbox);
    drain(e.connectionId, outbox);
  });
  server.on('ReadyToSend', (e) => {
    const outbox = outboxes.get(e.connectionId);
    if (outbox) drain(e.connectionId, outbox);
  });
  server.on('Disconnected', (e) => void outboxes.delete(e.connectionId));
}

/** Our echo server. */
export async function startOurEcho(options: EchoOptions = {}): Promise<EchoTarget> {
  const config: Record<string, SettingValue> = { BufferMessage: true };
  if (options.tls) config.SSLEnabledProtocols = TLS12_AND_13;
  const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, config });
  if (options.tls) {
    // Store first, subject last: selecting the subject is what loads the certificate.
    server.sslCertStoreType = 2;
    server.sslCertStore = fixturePath('server-rsa.pfx');
    server.sslCertStorePassword = PASSWORD;
    server.sslCertSubject = '*';
  }
  echoEveryMessage(server);
  // Listener errors (e.g. a handler throwing) must not go unnoticed in the report's reasons.
  server.on('Error', () => undefined);
  await server.startListening();
  return {
    name: 'ours',
    port: server.localPort,
    transport: options.tls ? wssTransport() : undefined,
    stop: () => server.shutdown(),
  };
}

/**
 * The reference: `ws` with permessage-deflate enabled (its defaults otherwise). The two broken
 * variants exist only to prove that the suite can fail: one skips UTF-8 validation, one flips the
 * last byte of every echo.
 */
export async function startWsEcho(variant: 'reference' | 'no-utf8-check' | 'corrupting' = 'reference', options: EchoOptions = {}): Promise<EchoTarget> {
  const https = options.tls ? createHttpsServer({ key: fixtureText('server-rsa.key'), cert: fixtureText('server-rsa.crt') }) : null;
  const common = { perMessageDeflate: true, skipUTF8Validation: variant === 'no-utf8-check' };
  const wss = https ? new WebSocketServer({ server: https, ...common }) : new WebSocketServer({ host: '127.0.0.1', port: 0, ...common });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      const echo = Buffer.from(data as Buffer);
      if (variant === 'corrupting' && echo.length > 0) echo[echo.length - 1] = echo[echo.length - 1]! ^ 0x01;
      socket.send(echo, { binary: isBinary });
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    if (https) {
      https.once('error', reject);
      https.listen(0, '127.0.0.1', resolve);
    } else {
      wss.once('listening', resolve);
      wss.once('error', reject);
    }
  });
  const address = https ? https.address() : wss.address();
  return {
    name: variant === 'reference' ? 'ws' : `ws (${variant})`,
    port: typeof address === 'object' && address ? address.port : 0,
    transport: https ? wssTransport() : undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        // ws does not close a server it was handed; the https server ends with it.
        wss.close(() => (https ? https.close(() => resolve()) : resolve()));
        https?.closeAllConnections();
      }),
  };
}
