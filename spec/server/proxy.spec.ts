/**
 * Behind a proxy, over real loopback sockets: the PROXY protocol (ProxyProtocol=1) in front of the
 * upgrade request and in front of the TLS ClientHello, TrustedProxies with Forwarded and
 * X-Forwarded-For, and HealthCheckPath.
 */
import { expect } from 'chai';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { LogEvent } from '../../lib/server/events';
import type { SettingValue } from '../../lib/server/settings';
import type { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { eventually, nextEvent, startServer, stopServers } from '../helpers/server';
import { fixtureText } from '../tls/fixtures';
import { cleanUp, tlsServer } from '../tls/helpers';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(versionCommand: number, familyTransport: number, block: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(block.length);
  return Buffer.concat([SIGNATURE, Buffer.from([versionCommand, familyTransport]), length, block]);
}

function v2Inet(source: number[], destination: number[], sourcePort: number, destinationPort: number, tlvs = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(destinationPort, 2);
  const family = source.length === 4 ? 0x11 : 0x21;
  return v2(0x21, family, Buffer.concat([Buffer.from(source), Buffer.from(destination), ports, tlvs]));
}

interface Setup {
  server: WSServer;
  port: number;
  logs: LogEvent[];
  /** Addresses ConnectionRequest saw. */
  requests: string[];
}

async function setup(config: Record<string, SettingValue>, listenConnectionRequest = false): Promise<Setup> {
  const { server, port } = await startServer({ config });
  const logs: LogEvent[] = [];
  const requests: string[] = [];
  server.on('Log', (e: LogEvent) => logs.push(e));
  if (listenConnectionRequest) server.on('ConnectionRequest', (e) => void requests.push(`${e.address}:${e.port}`));
  server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
  return { server, port, logs, requests };
}

/** The client as the server shows it once the WebSocket is open. */
async function openedAs(server: WSServer, client: RawClient, request: string | Buffer): Promise<{ host: string; port: number }> {
  const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
  client.write(request);
  const response = await client.readHttpResponse();
  expect(response.status).to.equal(101);
  const { connectionId } = await connected;
  const connection = server.connections.get(connectionId)!;
  return { host: connection.remoteHost, port: connection.remotePort };
}

/** The server closed the connection without writing a byte. */
async function closedSilently(client: RawClient): Promise<void> {
  const rest = await client.readRest(3000);
  expect(client.ended || client.closed, 'closed').to.equal(true);
  expect(rest.length, `bytes written: ${rest.toString('latin1')}`).to.equal(0);
}

/** Every raw client the specs open, destroyed after each (an open WebSocket would make Shutdown wait for its close). */
const clients: RawClient[] = [];

async function connect(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  clients.push(client);
  return client;
}

function logged(logs: LogEvent[], pattern: RegExp): boolean {
  return logs.some((e) => pattern.test(e.message));
}

/** Finishes the TLS handshake on `secure`, sends the upgrade request and gives the connection's id once 101 came back. */
async function upgradeOverTls(server: WSServer, secure: TLSSocket, request: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
  const answer = new Promise<string>((resolve) => {
    let text = '';
    secure.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) resolve(text);
    });
  });
  secure.write(request);
  expect(await answer).to.match(/^HTTP\/1\.1 101 /);
  return (await connected).connectionId;
}

describe('Behind a proxy', () => {
  afterEach(async () => {
    for (const client of clients) client.destroy();
    clients.length = 0;
    await stopServers();
    await cleanUp();
  });

  describe('ProxyProtocol=1', () => {
    it('v1 TCP4: RemoteHost, RemotePort and ConnectionRequest see the client the header names', async () => {
      const { server, port, requests } = await setup({ ProxyProtocol: 1 }, true);
      const client = await connect(port);
      const header = 'PROXY TCP4 198.51.100.22 203.0.113.1 40123 443\r\n';
      // The header and the upgrade request in one write: what follows the header is read as HTTP.
      expect(await openedAs(server, client, header + client.upgradeRequest())).to.deep.equal({ host: '198.51.100.22', port: 40123 });
      expect(requests).to.deep.equal(['198.51.100.22:40123']);
      client.sendText('hi');
      expect((await client.readMessage()).data.toString()).to.equal('echo hi');
    });

    it('v1 TCP6, the header written byte by byte', async () => {
      const { server, port } = await setup({ ProxyProtocol: 1 });
      const client = await connect(port);
      const header = Buffer.from('PROXY TCP6 2001:DB8:0:0::7 2001:db8::1 5000 443\r\n', 'latin1');
      for (const byte of header) {
        client.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await openedAs(server, client, client.upgradeRequest())).to.deep.equal({ host: '2001:db8::7', port: 5000 });
    });

    it('v2 over IPv4 with TLVs, and a frame right behind the request in the same write', async () => {
      const { server, port } = await setup({ ProxyProtocol: 1 });
      const client = await connect(port);
      const alpn = Buffer.from([0x01, 0x00, 0x08, ...Buffer.from('http/1.1')]);
      const header = v2Inet([192, 0, 2, 44], [10, 0, 0, 5], 61000, 80, alpn);
      const messages: string[] = [];
      server.on('DataIn', (e) => void messages.push(e.text));
      // One write: the header, the upgrade request and a masked text frame.
      const frame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x6f ^ 1, 0x6b ^ 2]);
      const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
      client.write(Buffer.concat([header, Buffer.from(client.upgradeRequest(), 'latin1'), frame]));
      expect((await client.readHttpResponse()).status).to.equal(101);
      const { connectionId } = await connected;
      expect(server.connections.get(connectionId)!.remoteHost).to.equal('192.0.2.44');
      await eventually(() => messages.length === 1, 3000, 'the frame behind the request');
      expect(messages).to.deep.equal(['ok']);
    });

    it('v2 over IPv6', async () => {
      const { server, port } = await setup({ ProxyProtocol: 1 });
      const client = await connect(port);
      const source = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23];
      const destination = [...new Array(15).fill(0), 1];
      const header = v2Inet(source, destination, 1234, 443);
      expect(await openedAs(server, client, Buffer.concat([header, Buffer.from(client.upgradeRequest(), 'latin1')]))).to.deep.equal({ host: '2001:db8::123', port: 1234 });
    });

    it('v2 LOCAL (the proxy\'s own check) and v1 UNKNOWN keep the socket\'s address', async () => {
      const { server, port } = await setup({ ProxyProtocol: 1 });
      for (const header of [v2(0x20, 0x00, Buffer.alloc(0)), Buffer.from('PROXY UNKNOWN\r\n', 'latin1')]) {
        const client = await connect(port);
        const seen = await openedAs(server, client, Buffer.concat([header, Buffer.from(client.upgradeRequest(), 'latin1')]));
        expect(seen.host).to.equal('127.0.0.1');
        expect(seen.port).to.equal(client.socket.localPort);
        client.destroy();
      }
    });

    const refused: Array<[string, () => Buffer, RegExp]> = [
      ['a missing header (a plain upgrade request)', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'), /PROXY_ERR_MISSING/],
      ['a malformed v1 line', () => Buffer.from('PROXY TCP4 10.0.0.01 10.0.0.2 1 2\r\nGET / HTTP/1.1\r\n\r\n', 'latin1'), /PROXY_ERR_V1_SYNTAX/],
      ['a v1 line without CRLF in 107 bytes', () => Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`, 'latin1'), /PROXY_ERR_TOO_LONG/],
      ['an oversized v2 header', () => v2(0x21, 0x11, Buffer.alloc(5000)), /PROXY_ERR_TOO_LONG/],
      ['a v2 datagram header', () => v2(0x21, 0x12, Buffer.alloc(12)), /PROXY_ERR_V2_UNSUPPORTED/],
    ];
    for (const [what, bytes, reason] of refused) {
      it(`closes the connection without an answer for ${what}, logged and counted`, async () => {
        const { server, port, logs } = await setup({ ProxyProtocol: 1 });
        const client = await connect(port);
        client.write(bytes());
        await closedSilently(client);
        await eventually(() => server.metrics().refusals.proxyHeader === 1, 3000, 'the refusal counted');
        expect(logged(logs, reason), logs.map((e) => e.message).join('\n')).to.equal(true);
        expect(server.metrics().refusals.handshake).to.deep.equal({});
      });
    }

    it('closes a truncated header at the deadline (HandshakeTimeout)', async () => {
      const { server, port, logs } = await setup({ ProxyProtocol: 1, HandshakeTimeout: 1 });
      const client = await connect(port);
      client.write('PROXY TCP4 192.0.2.1 192.0.2.2 1');
      await client.waitForEnd(3000);
      expect(server.metrics().refusals.proxyHeader).to.equal(1);
      expect(logged(logs, /incomplete at the deadline \(32 bytes, truncated\)/)).to.equal(true);
    });

    it('closes a header cut short by the peer\'s FIN at once', async () => {
      const { server, port, logs } = await setup({ ProxyProtocol: 1 });
      const client = await connect(port);
      client.write(v2Inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2).subarray(0, 20));
      client.socket.end();
      await client.waitForEnd(3000);
      await eventually(() => server.metrics().refusals.proxyHeader === 1, 3000, 'the refusal counted');
      expect(logged(logs, /after 20 bytes of a PROXY protocol header \(truncated\)/)).to.equal(true);
    });

    it('applies AllowedClients to the address the header names', async () => {
      const { server, port } = await setup({ ProxyProtocol: 1, AllowedClients: '203.0.113.0/24' });
      const allowed = await connect(port);
      expect((await openedAs(server, allowed, `PROXY TCP4 203.0.113.9 10.0.0.1 1000 80\r\n${allowed.upgradeRequest()}`)).host).to.equal('203.0.113.9');
      const blocked = await connect(port);
      blocked.write(`PROXY TCP4 198.51.100.1 10.0.0.1 1000 80\r\n${blocked.upgradeRequest()}`);
      await closedSilently(blocked);
      await eventually(() => server.metrics().refusals.connectionRequest === 1, 3000, 'the refusal counted');
    });

    it('counts MaxHandshakesPerAddress by the address the header names', async () => {
      const { server, port } = await setup({ ProxyProtocol: 1, MaxHandshakesPerAddress: 1 });
      const first = await connect(port);
      first.write('PROXY TCP4 192.0.2.1 10.0.0.1 1000 80\r\n');
      await eventually(() => [...server.connections.values()].some((c) => c.remoteHost === '192.0.2.1'), 3000, 'the first header read');
      // Another client through the same proxy socket address: not refused.
      const other = await connect(port);
      expect((await openedAs(server, other, `PROXY TCP4 192.0.2.2 10.0.0.1 1001 80\r\n${other.upgradeRequest()}`)).host).to.equal('192.0.2.2');
      // The same client again while its first connection is still in its handshake: refused.
      const again = await connect(port);
      again.write('PROXY TCP4 192.0.2.1 10.0.0.1 1002 80\r\n');
      await closedSilently(again);
    });

    it('TLS: the header comes before the ClientHello; what follows it is TLS', async () => {
      const server = tlsServer(undefined, { ProxyProtocol: 1 });
      await server.startListening();
      const client = await connect(server.localPort);
      client.write('PROXY TCP4 198.51.100.80 10.0.0.1 50505 443\r\n');
      const secure = tlsConnect({ socket: client.socket, servername: 'localhost', ca: fixtureText('ca.crt') });
      const connectionId = await upgradeOverTls(server, secure, client.upgradeRequest());
      expect(server.connections.get(connectionId)!.remoteHost).to.equal('198.51.100.80');
      expect(server.connections.get(connectionId)!.remotePort).to.equal(50505);
      secure.destroy();
    });

    it('TLS: the header and the ClientHello in one write (as a TCP-mode proxy sends them)', async () => {
      const server = tlsServer(undefined, { ProxyProtocol: 1 });
      await server.startListening();
      const client = await connect(server.localPort);
      const socket = client.socket;
      // A duplex over the socket whose first write carries the header in front of the ClientHello.
      let header: Buffer | null = Buffer.from('PROXY TCP4 198.51.100.81 10.0.0.1 50506 443\r\n');
      const joined = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, done) {
          const bytes = header === null ? chunk : Buffer.concat([header, chunk]);
          header = null;
          socket.write(bytes, done);
        },
      });
      socket.on('data', (chunk: Buffer) => joined.push(chunk));
      socket.on('end', () => joined.push(null));
      const secure = tlsConnect({ socket: joined, servername: 'localhost', ca: fixtureText('ca.crt') });
      const connectionId = await upgradeOverTls(server, secure, client.upgradeRequest());
      expect(server.connections.get(connectionId)!.remoteHost).to.equal('198.51.100.81');
      secure.destroy();
    });

    it('is off by default: a PROXY line is then just a bad request', async () => {
      const { port } = await setup({});
      const client = await connect(port);
      client.write(`PROXY TCP4 198.51.100.22 203.0.113.1 40123 443\r\n${client.upgradeRequest()}`);
      expect((await client.readHttpResponse()).status).to.equal(400);
    });
  });

  describe('TrustedProxies', () => {
    async function clientAs(config: Record<string, SettingValue>, headers: Record<string, string>, prefix = ''): Promise<{ seen: { host: string; port: number }; client: RawClient; logs: LogEvent[] }> {
      const { server, port, logs } = await setup(config);
      const client = await connect(port);
      const seen = await openedAs(server, client, prefix + client.upgradeRequest({ headers }));
      return { seen, client, logs };
    }

    it('believes X-Forwarded-For from a trusted peer: the rightmost address that is not a trusted proxy', async () => {
      const { seen, client } = await clientAs({ TrustedProxies: '127.0.0.1, 10.0.0.0/8' }, { 'X-Forwarded-For': '192.0.2.99, 198.51.100.7, 10.1.2.3' });
      // The client's own claim (192.0.2.99) is left of the first untrusted hop: never believed.
      expect(seen).to.deep.equal({ host: '198.51.100.7', port: client.socket.localPort });
    });

    it('ignores the headers from a peer that is not trusted', async () => {
      const { seen } = await clientAs({ TrustedProxies: '10.0.0.0/8' }, { 'X-Forwarded-For': '198.51.100.7', Forwarded: 'for=198.51.100.8' });
      expect(seen.host).to.equal('127.0.0.1');
    });

    it('prefers Forwarded, with its quoted IPv6 address and port', async () => {
      const { seen } = await clientAs({ TrustedProxies: '::ffff:127.0.0.1' }, { Forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https, for=127.0.0.1', 'X-Forwarded-For': '198.51.100.7' });
      expect(seen).to.deep.equal({ host: '2001:db8:cafe::17', port: 4711 });
    });

    it('keeps the peer\'s address for a malformed header, and logs it', async () => {
      const { seen, logs } = await clientAs({ TrustedProxies: '127.0.0.0/8' }, { 'X-Forwarded-For': '198.51.100.7, not-an-address' });
      expect(seen.host).to.equal('127.0.0.1');
      expect(logged(logs, /malformed X-Forwarded-For header from the trusted proxy 127\.0\.0\.1/)).to.equal(true);
    });

    it('applies AllowedClients to the forwarded address again: 403', async () => {
      const { server, port, logs } = await setup({ TrustedProxies: '127.0.0.1', AllowedClients: '127.0.0.1, 192.0.2.0/24' });
      const allowed = await connect(port);
      expect((await openedAs(server, allowed, allowed.upgradeRequest({ headers: { 'X-Forwarded-For': '192.0.2.5' } }))).host).to.equal('192.0.2.5');
      const refused = await connect(port);
      refused.write(refused.upgradeRequest({ headers: { 'X-Forwarded-For': '198.51.100.5' } }));
      expect((await refused.readHttpResponse()).status).to.equal(403);
      expect(server.metrics().refusals.handshake).to.deep.equal({ 403: 1 });
      expect(logged(logs, /client 198\.51\.100\.5 named by X-Forwarded-For is not allowed/)).to.equal(true);
    });

    it('with ProxyProtocol=1, the direct peer is the PROXY source', async () => {
      const trusted = await clientAs({ ProxyProtocol: 1, TrustedProxies: '10.9.0.0/16' }, { 'X-Forwarded-For': '198.51.100.70' }, 'PROXY TCP4 10.9.1.1 10.0.0.1 3333 80\r\n');
      expect(trusted.seen).to.deep.equal({ host: '198.51.100.70', port: 3333 });
      const untrusted = await clientAs({ ProxyProtocol: 1, TrustedProxies: '127.0.0.1' }, { 'X-Forwarded-For': '198.51.100.70' }, 'PROXY TCP4 10.9.1.1 10.0.0.1 3333 80\r\n');
      expect(untrusted.seen.host).to.equal('10.9.1.1');
    });

    it('refuses host names and * as trusted proxies (608)', async () => {
      const { server } = await setup({});
      expect(() => server.config('TrustedProxies=proxy.example.com')).to.throw().with.property('code', 608);
      expect(() => server.config('TrustedProxies=*')).to.throw().with.property('code', 608);
    });
  });

  describe('HealthCheckPath', () => {
    it('answers GET on the path with 200 "OK\\n", closes, and raises no WebSocket event', async () => {
      const { server, port } = await setup({ HealthCheckPath: '/healthz' });
      let events = 0;
      for (const name of ['Connected', 'WebSocketOpenRequest', 'Error']) server.on(name, () => void events++);
      const client = await connect(port);
      client.write('GET /healthz?probe=1 HTTP/1.1\r\nHost: lb\r\n\r\n');
      const response = await client.readHttpResponse();
      expect(response.status).to.equal(200);
      expect(response.headers['content-length']).to.equal('3');
      expect(response.headers.connection).to.equal('close');
      expect((await client.readRest()).toString()).to.equal('OK\n');
      expect(client.ended || client.closed).to.equal(true);
      const m = server.metrics();
      expect(m.healthChecks).to.equal(1);
      expect(m.refusals.handshake).to.deep.equal({});
      expect(events).to.equal(0);
    });

    it('answers HEAD with the same headers and no body', async () => {
      const { port } = await setup({ HealthCheckPath: '/healthz' });
      const client = await connect(port);
      client.write('HEAD /healthz HTTP/1.1\r\nHost: lb\r\n\r\n');
      const response = await client.readHttpResponse();
      expect(response.status).to.equal(200);
      expect(response.headers['content-length']).to.equal('3');
      expect((await client.readRest()).length).to.equal(0);
    });

    it('leaves other paths, and the path with Upgrade, as they were', async () => {
      const { server, port } = await setup({ HealthCheckPath: '/healthz' });
      const other = await connect(port);
      other.write('GET /other HTTP/1.1\r\nHost: lb\r\n\r\n');
      expect((await other.readHttpResponse()).status).to.equal(400);
      const upgrade = await connect(port);
      expect((await openedAs(server, upgrade, upgrade.upgradeRequest({ path: '/healthz' }))).host).to.equal('127.0.0.1');
      expect(server.metrics().healthChecks).to.equal(0);
    });

    it('takes a path only (608 otherwise)', async () => {
      const { server } = await setup({});
      for (const bad of ['healthz', '/a b', '/a?b', '/a#b']) expect(() => server.config(`HealthCheckPath=${bad}`), bad).to.throw().with.property('code', 608);
      expect(server.config('HealthCheckPath=/live')).to.equal('');
      expect(server.config('HealthCheckPath')).to.equal('/live');
    });

    it('is off by default', async () => {
      const { port } = await setup({});
      const client = await connect(port);
      client.write('GET /healthz HTTP/1.1\r\nHost: lb\r\n\r\n');
      expect((await client.readHttpResponse()).status).to.equal(400);
    });

    it('works behind the PROXY protocol', async () => {
      const { port } = await setup({ HealthCheckPath: '/healthz', ProxyProtocol: 1 });
      const client = await connect(port);
      client.write(Buffer.concat([v2(0x20, 0x00, Buffer.alloc(0)), Buffer.from('GET /healthz HTTP/1.1\r\nHost: lb\r\n\r\n', 'latin1')]));
      expect((await client.readHttpResponse()).status).to.equal(200);
    });
  });
});
