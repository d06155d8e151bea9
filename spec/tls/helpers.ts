/** Helpers for the wss specs: TLS servers on loopback, `ws` and node:tls clients, always cleaned up. */
import { connect as netConnect, createServer as netServer, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { SettingValue } from '../../lib/server/settings';
import { WSServer } from '../../lib/server/ws-server';
import { PASSWORD, fixturePath, fixtureText } from './fixtures';

const running = new Set<WSServer>();
const clients = new Set<{ destroy(): void } | WebSocket>();

export interface CertificateSetup {
  storeType: number;
  store: string | Uint8Array;
  password?: string;
  subject?: string;
  encoded?: string | Uint8Array;
}

/** The RSA server certificate from the password-protected PFX. */
export const RSA_PFX: CertificateSetup = { storeType: 2, store: fixturePath('server-rsa.pfx'), password: PASSWORD, subject: '*' };

/** A WSServer on 127.0.0.1 and a free port, its certificate set the way the reference orders it. */
export function tlsServer(certificate: CertificateSetup | null = RSA_PFX, config: Record<string, SettingValue> = {}): WSServer {
  const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, config });
  if (certificate) {
    server.sslCertStoreType = certificate.storeType;
    server.sslCertStore = certificate.store;
    server.sslCertStorePassword = certificate.password ?? '';
    if (certificate.encoded !== undefined) server.sslCertEncoded = certificate.encoded;
    if (certificate.subject !== undefined) server.sslCertSubject = certificate.subject;
  }
  running.add(server);
  return server;
}

/** tlsServer(), listening, answering every text message with "echo <text>". */
export async function echoServer(certificate: CertificateSetup | null = RSA_PFX, config: Record<string, SettingValue> = {}): Promise<WSServer> {
  const server = tlsServer(certificate, config);
  server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
  await server.startListening();
  return server;
}

/** Shuts down every server and client the specs made (afterEach). */
export async function cleanUp(): Promise<void> {
  for (const client of clients) {
    if (client instanceof WebSocket) client.terminate();
    else client.destroy();
  }
  clients.clear();
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.shutdown().catch(() => undefined)));
}

/** Opens a wss client (trusting the test CA) and waits for 'open'. */
export function openWss(port: number, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://localhost:${port}/`, { ca: fixtureText('ca.crt'), ...options });
    clients.add(ws);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends `text` and resolves with the answer. */
export function roundTrip(ws: WebSocket, text: string, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), ms);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(String(data));
    });
    ws.send(text);
  });
}

/** Resolves with the error a wss client fails with (or rejects if it opens). */
export function wssFailure(port: number, options: WebSocket.ClientOptions = {}): Promise<Error> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://localhost:${port}/`, { ca: fixtureText('ca.crt'), ...options });
    clients.add(ws);
    ws.once('open', () => reject(new Error('the WebSocket opened')));
    ws.once('error', resolve);
  });
}

export interface Handshake {
  socket: TLSSocket;
  protocol: string | null;
  cipher: string;
  certificate: PeerCertificate;
}

/** A node:tls handshake only (no WebSocket); rejects with the client's error. */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: fixtureText('ca.crt'), ...options }, () => {
      resolve({ socket, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName, certificate: socket.getPeerCertificate() });
    });
    clients.add(socket);
    socket.once('error', reject);
  });
}


/** Client certificate options for node:tls / ws. */
export function clientCertificate(name: 'client' | 'client-expired' | 'client-other'): { key: string; cert: string } {
  return { key: fixtureText(`${name}.key`), cert: fixtureText(`${name}.crt`) };
}

/**
 * Both ends of one loopback TCP connection: the server's end as the engine gets it (paused, nothing
 * read), and the client's. Both are destroyed by cleanUp().
 */
export function tcpPair(): Promise<{ accepted: Socket; client: Socket }> {
  return new Promise((resolve, reject) => {
    const listener = netServer({ pauseOnConnect: true }, (accepted) => {
      listener.close();
      clients.add(accepted);
      accepted.on('error', () => undefined);
      resolve({ accepted, client });
    });
    let client: Socket;
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => {
      client = netConnect((listener.address() as { port: number }).port, '127.0.0.1');
      clients.add(client);
      client.on('error', () => undefined);
    });
  });
}

export { rejection } from '../helpers/engine';
