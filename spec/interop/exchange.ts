/**
 * What the browser and Python interop specs share: the message exchange both clients run (the
 * page's MESSAGES and python-client.py's sizes_and_payloads() send exactly these), the page served
 * on loopback, and our echo server for them — over ws://, or over wss:// with a test certificate.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SettingValue } from '../../lib/server/settings';
import type { WSServer } from '../../lib/server/ws-server';
import { echoEveryMessage } from '../conformance/echo-servers';
import { startServer } from '../helpers/server';
import { tlsServer, type CertificateSetup } from '../tls/helpers';

/** The non-ASCII text message of the exchange. */
export const NON_ASCII = 'héllo wörld — κόσμε — 日本語 — 😀';

/** Every message of the exchange, in order: kind and size in bytes (UTF-8 for text). */
export const EXCHANGE: ReadonlyArray<readonly ['text' | 'binary', number]> = [
  ['text', 0],
  ['binary', 0],
  ['binary', 125],
  ['text', 125],
  ['binary', 126],
  ['text', 126],
  ['binary', 65535],
  ['text', 65535],
  ['binary', 65536],
  ['text', 65536],
  ['binary', 1048576],
  ['text', 1048576],
  ['text', Buffer.byteLength(NON_ASCII)],
];

/** The per-message report both clients produce when every echo matched. */
export function allEchoed(): Array<{ kind: string; size: number; ok: boolean }> {
  return EXCHANGE.map(([kind, size]) => ({ kind, size, ok: true }));
}

/**
 * Our echo server on 127.0.0.1 for an interop client: whole messages (BufferMessage), each echoed
 * with its type, subprotocol "chat" chosen when offered. With a certificate it listens with TLS.
 */
export async function interopEcho(config: Record<string, SettingValue> = {}, certificate?: CertificateSetup): Promise<{ server: WSServer; port: number }> {
  let server: WSServer;
  if (certificate) {
    // Stopped by the TLS helpers' cleanUp().
    server = tlsServer(certificate, { BufferMessage: true, ...config });
  } else {
    // Stopped by stopServers(); startServer() has it listening already.
    server = (await startServer({ config: { BufferMessage: true, ...config } })).server;
  }
  echoEveryMessage(server);
  server.on('WebSocketOpenRequest', (e) => {
    if (e.subProtocols.split(',').map((p) => p.trim()).includes('chat')) e.subProtocols = 'chat';
  });
  if (certificate) await server.startListening();
  return { server, port: server.localPort };
}

const PAGE = readFileSync(join(__dirname, 'fixtures', 'browser-page.html'));

/** Serves the interop page over http on loopback (a page on http may open ws:// and wss:// alike). */
export async function servePage(): Promise<{ http: Server; origin: string }> {
  const http = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** Closes the page server (after), whether or not it started. */
export function stopPage(http: Server | undefined): Promise<void> {
  return new Promise((resolve) => (http ? http.close(() => resolve()) : resolve()));
}
