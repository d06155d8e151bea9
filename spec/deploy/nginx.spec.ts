/**
 * docs/deploy/nginx.conf and nginx-tls.conf, run by Debian's nginx in front of our server on
 * loopback (docs/DEPLOYING.md). Fails, saying how to install it, where nginx is missing
 * (tools/ci-setup.sh installs it).
 */
import { expect } from 'chai';
import { WSServer } from '../../lib/server/ws-server';
import { delay, nextEvent, stopServers } from '../helpers/server';
import { fixturePath, fixtureText } from '../tls/fixtures';
import { deployConfig, freePort, requireBinary, startNginx, stopProxies } from './proxy-process';
import { CLIENT_ADDRESS, checkEcho, closeThrough, echoServer, httpRequest, openClient, peerSeen } from './through-proxy';

/** docs/deploy/nginx.conf pointed at our server and listening on a free loopback port. */
function siteFor(serverPort: number, nginxPort: number, extra: Array<[string, string]> = []): string {
  return deployConfig('nginx.conf', [
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${serverPort};`],
    ['listen 80;', `listen 127.0.0.1:${nginxPort};`],
    ...extra,
  ]);
}

/** Our echo server (with `config`) behind nginx; the URL clients use. */
async function behindNginx(config: Record<string, string> = {}, extra: Array<[string, string]> = []): Promise<{ server: WSServer; url: string; port: number }> {
  const { server, port: serverPort } = await echoServer(config);
  const port = await freePort();
  await startNginx([siteFor(serverPort, port, extra)], port);
  return { server, url: `ws://127.0.0.1:${port}/chat`, port };
}

describe('Deploying: nginx in front of the server (docs/deploy/nginx.conf)', function () {
  this.timeout(30000);

  before(() => {
    requireBinary('nginx');
  });

  afterEach(async () => {
    await stopProxies();
    await stopServers();
  });

  it('upgrades through nginx and echoes text, binary and a 1 MiB message', async () => {
    const { url } = await behindNginx();
    const ws = await openClient(url);
    await checkEcho(ws);
    ws.terminate();
  });

  it("passes close codes through both ways (the client's 4001 and its reason, the server's 1001 and its)", async () => {
    const { server, url } = await behindNginx({ DisconnectStatusCode: '1001', DisconnectStatusDescription: 'going away' });
    const first = await openClient(url);
    const closed = await closeThrough(server, first, 4001, 'client done');
    expect([closed.server.statusCode, closed.server.description]).to.deep.equal([4001, 'client done']);
    // The server's close reply repeats the code (RFC 6455 §5.5.1) without the reason.
    expect(closed.client[0]).to.equal(4001);

    const { ws: second } = await peerSeen(server, () => openClient(url));
    const clientClosed = new Promise<[number, string]>((resolve) => second.once('close', (code, reason) => resolve([code, reason.toString()])));
    await server.disconnect([...server.connections.keys()][0]!);
    expect(await clientClosed).to.deep.equal([1001, 'going away']);
  });

  it("without TrustedProxies RemoteHost is nginx's address, not the client's", async () => {
    const { server, url } = await behindNginx();
    const { ws, remoteHost } = await peerSeen(server, () => openClient(url));
    expect(remoteHost).to.equal('127.0.0.1');
    expect(remoteHost).to.not.equal(CLIENT_ADDRESS);
    ws.terminate();
  });

  it('with TrustedProxies=127.0.0.1 RemoteHost is the client that nginx put last in X-Forwarded-For', async () => {
    const settings = { TrustedProxies: '127.0.0.1' };
    const { server, url } = await behindNginx(settings);
    const honest = await peerSeen(server, () => openClient(url));
    expect(honest.remoteHost).to.equal(CLIENT_ADDRESS);
    honest.ws.terminate();
    // A client that sends its own X-Forwarded-For cannot choose its address: nginx appends the real
    // one ($proxy_add_x_forwarded_for), and only the hop nginx vouches for is believed.
    const spoofing = await peerSeen(server, () => openClient(url, { headers: { 'X-Forwarded-For': '203.0.113.9' } }));
    expect(spoofing.remoteHost).to.equal(CLIENT_ADDRESS);
    spoofing.ws.terminate();
  });

  it("without HealthCheckPath a plain GET of /healthz gets the server's 400, as the reference answers", async () => {
    const { port } = await behindNginx();
    const { status } = await httpRequest(port, '/healthz');
    expect(status).to.equal(400);
  });

  it('with HealthCheckPath=/healthz a plain GET and HEAD through nginx answer 200', async () => {
    const settings = { HealthCheckPath: '/healthz' };
    const { port } = await behindNginx(settings);
    expect((await httpRequest(port, '/healthz')).status).to.equal(200);
    expect((await httpRequest(port, '/healthz', 'HEAD')).status).to.equal(200);
  });

  it('proxy_read_timeout closes a connection without traffic; server pings keep one open', async () => {
    // The doc's 1h shortened to 2 s, so the case runs in seconds.
    const { server, url } = await behindNginx({}, [['proxy_read_timeout 1h;', 'proxy_read_timeout 2s;']]);
    const idle = await peerSeen(server, () => openClient(url));
    const disconnected = nextEvent<{ statusCode: number }>(server, 'Disconnected', 8000);
    const idleClosed = new Promise<number>((resolve) => idle.ws.once('close', (code) => resolve(code)));
    const code = await Promise.race([idleClosed, delay(8000).then(() => 0)]);
    expect(code, 'nginx closed the idle connection without a close frame').to.equal(1006);
    expect((await disconnected).statusCode).to.equal(1006);

    const pinged = await peerSeen(server, () => openClient(url));
    const id = [...server.connections.keys()].at(-1)!;
    const serverPings = setInterval(() => void server.ping(id).catch(() => undefined), 300);
    let closedEarly = false;
    pinged.ws.once('close', () => (closedEarly = true));
    // One and a half times the timeout: nginx would have closed it by then without the pings.
    await delay(3000);
    clearInterval(serverPings);
    expect(closedEarly, 'closed although the server pinged').to.equal(false);
    await checkEcho(pinged.ws);
    pinged.ws.terminate();
  });

  it('terminates TLS (docs/deploy/nginx-tls.conf) and forwards wss:// clients as ws:// with X-Forwarded-Proto https', async () => {
    const { server, port: serverPort } = await echoServer();
    const plainPort = await freePort();
    const tlsPort = await freePort();
    const tlsSite = deployConfig('nginx-tls.conf', [
      ['listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`],
      ['/etc/ssl/certs/ws.example.com.crt', fixturePath('server-rsa.crt')],
      ['/etc/ssl/private/ws.example.com.key', fixturePath('server-rsa.key')],
    ]);
    await startNginx([siteFor(serverPort, plainPort), tlsSite], tlsPort);
    const request = nextEvent<{ requestHeaders: string }>(server, 'WebSocketOpenRequest', 5000);
    const ws = await openClient(`wss://127.0.0.1:${tlsPort}/chat`, { ca: fixtureText('ca.crt') });
    expect((await request).requestHeaders).to.match(/^X-Forwarded-Proto: https$/im);
    await checkEcho(ws);
    ws.terminate();
  });
});
