import { expect } from 'chai';
import { connect as netConnect, createServer as netServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import type { WebSocketOpenRequestEvent } from '../../lib/server/events';
import { fixtureText } from './fixtures';
import { cleanUp, tlsServer } from './helpers';

/** A port nobody listens on now: the clients bind to it as their source port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = netServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A TCP connection to host:port from 127.0.0.1:sourcePort (libuv sets SO_REUSEADDR, so two may share it). */
function tcpFrom(sourcePort: number, host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, localAddress: '127.0.0.1', localPort: sourcePort }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A wss client over an already connected TCP socket; resolves once it is open. */
function wssOver(socket: Socket, path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://localhost${path}`, {
      createConnection: () => tlsConnect({ socket, servername: 'localhost', ca: fixtureText('ca.crt') }),
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Every message `ws` receives within `ms`. */
function messagesWithin(ws: WebSocket, ms: number): Promise<string[]> {
  const seen: string[] = [];
  ws.on('message', (data) => seen.push(String(data)));
  return new Promise((resolve) => setTimeout(() => resolve(seen), ms));
}

describe('tls: every connection has its own TLS session', () => {
  const sockets: Socket[] = [];
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate();
    for (const socket of sockets.splice(0)) socket.destroy();
    await cleanUp();
  });

  it('two clients behind one source address and port (NAT), towards two local addresses, never get each other\'s session', async () => {
    const server = tlsServer(undefined, { AllowedClients: '127.0.0.0/8' });
    server.localHost = '0.0.0.0';
    const opened: WebSocketOpenRequestEvent[] = [];
    server.on('WebSocketOpenRequest', (e) => void opened.push({ ...e }));
    server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
    await server.startListening();

    const sourcePort = await freePort();
    const [first, second] = await Promise.all([tcpFrom(sourcePort, '127.0.0.1', server.localPort), tcpFrom(sourcePort, '127.0.0.2', server.localPort)]);
    sockets.push(first!, second!);
    expect([first!.localPort, second!.localPort]).to.deep.equal([sourcePort, sourcePort]);
    // Both handshakes start in the same turn, so the server runs them side by side.
    const [a, b] = await Promise.all([wssOver(first!, '/a'), wssOver(second!, '/b')]);
    clients.push(a!, b!);

    const connections = [...server.connections.values()];
    expect(connections.map((c) => c.remotePort)).to.deep.equal([sourcePort, sourcePort]);
    const byPath = new Map(opened.map((e) => [e.requestURI, server.connections.get(e.connectionId)!.localAddress]));
    expect(byPath).to.deep.equal(new Map([['/a', '127.0.0.1'], ['/b', '127.0.0.2']]));

    const answersA = messagesWithin(a!, 300);
    const answersB = messagesWithin(b!, 300);
    a!.send('from a');
    b!.send('from b');
    expect(await answersA).to.deep.equal(['echo from a']);
    expect(await answersB).to.deep.equal(['echo from b']);
  });
});
