/**
 * What the deploy specs check through a proxy, shared by nginx.spec.ts and haproxy.spec.ts: an echo
 * server of ours, a `ws` client connecting from 127.0.0.2 (so the client's address differs from the
 * proxy's 127.0.0.1 on one loopback), the echo of text and binary up to 1 MiB, a close with its code,
 * what RemoteHost the server saw, and plain HTTP requests for the health check.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import WebSocket from 'ws';
import type { DisconnectedEvent } from '../../lib/server/events';
import type { SettingValue } from '../../lib/server/settings';
import type { WSServer } from '../../lib/server/ws-server';
import { echoEveryMessage } from '../conformance/echo-servers';
import { nextEvent, startServer } from '../helpers/server';

/** Where the clients connect from: any 127/8 address is loopback on Linux. */
export const CLIENT_ADDRESS = '127.0.0.2';

/** Our echo server (whole messages, any size) on 127.0.0.1 and a free port. */
export async function echoServer(config: Record<string, SettingValue> = {}): Promise<{ server: WSServer; port: number }> {
  const started = await startServer({ config: { BufferMessage: true, ...config } });
  echoEveryMessage(started.server);
  return started;
}

/** The local port of each client's socket, recorded at its upgrade. */
const localPorts = new WeakMap<WebSocket, number>();

/** A `ws` client from CLIENT_ADDRESS, open; rejects with the proxy's or server's answer otherwise. */
export function openClient(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { localAddress: CLIENT_ADDRESS, perMessageDeflate: false, handshakeTimeout: 5000, ...options });
  ws.once('upgrade', (res) => localPorts.set(ws, res.socket.localPort!));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade answered ${res.statusCode}`));
      ws.terminate();
    });
  });
}

/** The next message on a client, with its type. */
function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      resolve({ data: data as Buffer, isBinary });
    });
  });
}

/** Sends text, a small binary and a 1 MiB binary message and checks each echo, type included. */
export async function checkEcho(ws: WebSocket): Promise<void> {
  const text = 'héllo through the proxy';
  const small = Buffer.from([0, 1, 2, 253, 254, 255]);
  const large = randomBytes(1024 * 1024);
  for (const [payload, binary] of [[text, false], [small, true], [large, true]] as const) {
    const echoed = nextMessage(ws);
    ws.send(payload, { binary });
    const { data, isBinary } = await echoed;
    expect(isBinary).to.equal(binary);
    if (binary) expect(data.equals(payload as Buffer), `binary echo of ${(payload as Buffer).length} bytes`).to.equal(true);
    else expect(data.toString('utf8')).to.equal(text);
  }
}

/** The client closes with a code and reason; returns what the server's Disconnected and the client saw. */
export async function closeThrough(server: WSServer, ws: WebSocket, code: number, reason: string): Promise<{ server: DisconnectedEvent; client: [number, string] }> {
  const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected', 5000);
  const closed = new Promise<[number, string]>((resolve) => ws.once('close', (c, r) => resolve([c, r.toString()])));
  ws.close(code, reason);
  return { server: await disconnected, client: await closed };
}

/** The RemoteHost / RemotePort of the next connection the server opens, while `open` runs. */
export async function peerSeen(server: WSServer, open: () => Promise<WebSocket>): Promise<{ ws: WebSocket; remoteHost: string; remotePort: number }> {
  const connected = nextEvent<{ connectionId: number }>(server, 'Connected', 5000);
  const ws = await open();
  const connection = server.connections.get((await connected).connectionId)!;
  return { ws, remoteHost: connection.remoteHost, remotePort: connection.remotePort };
}

/** The local port of a client's socket: what a proxy reports as the client's port. */
export function clientPort(ws: WebSocket): number {
  return localPorts.get(ws)!;
}

/** A plain HTTP request (no Upgrade); resolves with the status and the body. */
export function httpRequest(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, localAddress: CLIENT_ADDRESS, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end();
  });
}
