/**
 * docs/deploy/haproxy-http.cfg and haproxy-tcp.cfg, run by Debian's haproxy in front of our server on
 * loopback (docs/DEPLOYING.md): HTTP mode with X-Forwarded-For, TCP mode with the PROXY protocol v2,
 * and the health check of each. Fails, saying how to install it, where haproxy is missing
 * (tools/ci-setup.sh installs it).
 */
import { expect } from 'chai';
import type { ConnectionRequestEvent } from '../../lib/server/events';
import { WSServer } from '../../lib/server/ws-server';
import { stopServers } from '../helpers/server';
import { deployConfig, freePort, haproxyCommand, requireBinary, startHaproxy, stopProxies, type ProxyProcess } from './proxy-process';
import { CLIENT_ADDRESS, checkEcho, clientPort, closeThrough, echoServer, openClient, peerSeen } from './through-proxy';

type Mode = 'http' | 'tcp';

/** The setting the doc's health checks need: without it ws1 is DOWN and haproxy passes nothing. */
const HEALTH = { HealthCheckPath: '/healthz' };

/**
 * Our echo server (with `config`) behind haproxy in that mode; the URL clients use. With
 * HealthCheckPath set, returns once haproxy's first check has passed.
 */
async function behindHaproxy(mode: Mode, config: Record<string, string | number> = {}): Promise<{ server: WSServer; url: string; proxy: ProxyProcess }> {
  const { server, port: serverPort } = await echoServer(config);
  const port = await freePort();
  const text = deployConfig(`haproxy-${mode}.cfg`, [
    ['bind :80', `bind 127.0.0.1:${port}`],
    ['server ws1 127.0.0.1:8080 ', `server ws1 127.0.0.1:${serverPort} `],
  ]);
  const proxy = await startHaproxy(text, port);
  if (config.HealthCheckPath !== undefined) {
    const { check } = await checkedServer(proxy);
    if (check !== 'L7OK') throw new Error(`haproxy's health check of our server: ${check}\n${proxy.output()}`);
  }
  return { server, url: `ws://127.0.0.1:${port}/chat`, proxy };
}

/** ws1's status and last check in haproxy's `show stat`, once a check has run (within `ms`). */
async function checkedServer(proxy: ProxyProcess, ms = 8000): Promise<{ status: string; check: string; code: string }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [header, ...rows] = (await haproxyCommand(proxy, 'show stat')).trim().split('\n');
    const names = header!.replace(/^# /, '').split(',');
    const row = rows.map((line) => line.split(',')).find((fields) => fields[names.indexOf('svname')] === 'ws1');
    const field = (name: string) => row?.[names.indexOf(name)] ?? '';
    // "INI" (or nothing) until the first check completes; "* L7OK" style while one is running.
    const check = field('check_status').replace(/^\* /, '');
    if (check && check !== 'INI') return { status: field('status'), check, code: field('check_code') };
    if (Date.now() > deadline) throw new Error(`no health check of ws1 within ${ms} ms:\n${proxy.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Deploying: HAProxy in front of the server (docs/deploy/haproxy-*.cfg)', function () {
  this.timeout(30000);

  before(() => {
    requireBinary('haproxy');
  });

  afterEach(async () => {
    await stopProxies();
    await stopServers();
  });

  describe('mode http (haproxy-http.cfg)', () => {
    it('upgrades through haproxy and echoes text, binary and a 1 MiB message', async function () {
      const { url } = await behindHaproxy('http', HEALTH);
      const ws = await openClient(url);
      await checkEcho(ws);
      ws.terminate();
    });

    it("passes close codes through both ways (the client's 4001 and its reason, the server's 1001 and its)", async function () {
      const { server, url } = await behindHaproxy('http', { ...HEALTH, DisconnectStatusCode: 1001, DisconnectStatusDescription: 'going away' });
      const closed = await closeThrough(server, await openClient(url), 4001, 'client done');
      expect([closed.server.statusCode, closed.server.description]).to.deep.equal([4001, 'client done']);
      expect(closed.client[0]).to.equal(4001);

      const { ws } = await peerSeen(server, () => openClient(url));
      const clientClosed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
      await server.disconnect([...server.connections.keys()][0]!);
      expect(await clientClosed).to.deep.equal([1001, 'going away']);
    });

    it("without TrustedProxies RemoteHost is haproxy's address, not the client's", async function () {
      const { server, url } = await behindHaproxy('http', HEALTH);
      const { ws, remoteHost } = await peerSeen(server, () => openClient(url));
      expect(remoteHost).to.equal('127.0.0.1');
      expect(remoteHost).to.not.equal(CLIENT_ADDRESS);
      ws.terminate();
    });

    it('with TrustedProxies=127.0.0.1 RemoteHost is the client from option forwardfor', async function () {
      const { server, url } = await behindHaproxy('http', { ...HEALTH, TrustedProxies: '127.0.0.1' });
      const { ws, remoteHost } = await peerSeen(server, () => openClient(url));
      expect(remoteHost).to.equal(CLIENT_ADDRESS);
      ws.terminate();
    });

    it("without HealthCheckPath the check fails on the server's 400 (L7STS): ws1 is DOWN and upgrades get 503", async () => {
      const { url, proxy } = await behindHaproxy('http');
      const { status, check, code } = await checkedServer(proxy);
      expect([status, check, code]).to.deep.equal(['DOWN', 'L7STS', '400']);
      const refused = await openClient(url).then((ws) => (ws.terminate(), 'opened'), (error: Error) => error.message);
      expect(refused).to.equal('upgrade answered 503');
    });

    it('with HealthCheckPath=/healthz the check passes (L7OK) and ws1 is UP', async function () {
      const { proxy } = await behindHaproxy('http', HEALTH);
      const { status, check, code } = await checkedServer(proxy);
      expect([status, check, code]).to.deep.equal(['UP', 'L7OK', '200']);
    });
  });

  describe('mode tcp with send-proxy-v2 (haproxy-tcp.cfg)', () => {
    it("without ProxyProtocol=1 the server answers the PROXY header with 400: the check fails, ws1 is DOWN, clients are cut", async () => {
      const { url, proxy } = await behindHaproxy('tcp');
      const { status, check, code } = await checkedServer(proxy);
      expect([status, check, code]).to.deep.equal(['DOWN', 'L7STS', '400']);
      const refused = await openClient(url).then((ws) => (ws.terminate(), 'opened'), (error: Error) => error.message);
      expect(refused).to.equal('socket hang up');
    });

    it('with ProxyProtocol=1 it upgrades, echoes text, binary and 1 MiB, and passes the close code', async function () {
      const { server, url } = await behindHaproxy('tcp', { ...HEALTH, ProxyProtocol: 1 });
      const ws = await openClient(url);
      await checkEcho(ws);
      const closed = await closeThrough(server, ws, 4001, 'client done');
      expect([closed.server.statusCode, closed.server.description]).to.deep.equal([4001, 'client done']);
      expect(closed.client[0]).to.equal(4001);
    });

    it("with ProxyProtocol=1 RemoteHost, RemotePort and ConnectionRequest are the client's", async function () {
      const { server, url } = await behindHaproxy('tcp', { ...HEALTH, ProxyProtocol: 1 });
      // haproxy's health checks connect too: the client's request is one of those seen.
      const requests: Array<[string, number]> = [];
      server.on('ConnectionRequest', (e: ConnectionRequestEvent) => requests.push([e.address, e.port]));
      const { ws, remoteHost, remotePort } = await peerSeen(server, () => openClient(url));
      expect([remoteHost, remotePort]).to.deep.equal([CLIENT_ADDRESS, clientPort(ws)]);
      expect(requests).to.deep.include([CLIENT_ADDRESS, clientPort(ws)]);
      ws.terminate();
    });

    it('with ProxyProtocol=1 and HealthCheckPath=/healthz the check (check-send-proxy) passes', async function () {
      const { proxy } = await behindHaproxy('tcp', { ...HEALTH, ProxyProtocol: 1 });
      const { status, check, code } = await checkedServer(proxy);
      expect([status, check, code]).to.deep.equal(['UP', 'L7OK', '200']);
    });
  });
});
