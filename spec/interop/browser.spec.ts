import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { WSServer } from '../../lib/server/ws-server';
import type { DisconnectedEvent } from '../../lib/server/events';
import { startServer, stopServers } from '../helpers/server';
import { Chromium, type Page } from './chromium';

const PAGE = readFileSync(join(__dirname, 'fixtures', 'browser-page.html'));

/** Serves the interop page on loopback. */
async function servePage(): Promise<{ http: Server; origin: string }> {
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

async function echoServer(config: Record<string, boolean> = {}): Promise<{ server: WSServer; port: number }> {
  const started = await startServer({ config: { BufferMessage: true, ...config } });
  const { server } = started;
  server.on('DataIn', (e) => {
    const sent = e.dataFormat === 1 ? server.sendText(e.connectionId, e.text) : server.sendBytes(e.connectionId, e.textB);
    sent.catch(() => undefined);
  });
  server.on('WebSocketOpenRequest', (e) => {
    if (e.subProtocols.split(',').map((p) => p.trim()).includes('chat')) e.subProtocols = 'chat';
  });
  return started;
}

const EXPECTED = [
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
  ['text', Buffer.byteLength('héllo wörld — κόσμε — 日本語 — 😀')],
].map(([kind, size]) => ({ kind, size, ok: true }));

describe('Interop: headless Chromium (DevTools protocol)', function () {
  this.timeout(60000);
  let browser: Chromium;
  let page: Page;
  let http: Server;
  let origin: string;

  before(async () => {
    browser = await Chromium.launch();
    page = await browser.newPage();
    ({ http, origin } = await servePage());
    await page.goto(`${origin}/`);
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
  });

  afterEach(stopServers);

  it('echoes text and ArrayBuffer messages of every size with permessage-deflate, and sees the close code and reason', async () => {
    const { server, port } = await echoServer();
    const seen: Record<string, string> = {};
    server.once('Connected', (e) => {
      const c = server.connections.get(e.connectionId)!;
      Object.assign(seen, { origin: c.origin, extensions: c.extensions, protocol: c.protocol, requestURI: c.requestURI });
    });
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await page.evaluate(`runInterop('ws://127.0.0.1:${port}/browser?x=1', ['chat', 'superchat'], 4321, 'browser done ✓')`, 40000);
    expect(report.results).to.deep.equal(EXPECTED);
    expect(report.protocol).to.equal('chat');
    expect(report.extensions).to.match(/^permessage-deflate/);
    // The browser's close event shows the server's reply: the code echoed (its reason is the server's choice).
    expect([report.close.code, report.close.wasClean]).to.deep.equal([4321, true]);
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([4321, 'browser done ✓']);
    expect(seen.origin).to.equal(origin);
    expect(seen.extensions).to.match(/^permessage-deflate/);
    expect(seen.protocol).to.equal('chat');
    expect(seen.requestURI).to.equal('/browser?x=1');
  });

  it('works without compression when the server turns permessage-deflate off', async () => {
    const { server, port } = await echoServer({ EnablePermessageDeflate: false });
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await page.evaluate(`runInterop('ws://127.0.0.1:${port}/', [], 1000, '')`, 40000);
    expect(report.extensions).to.equal('');
    expect(report.protocol).to.equal('');
    expect(report.results).to.deep.equal(EXPECTED);
    expect(report.close).to.deep.equal({ code: 1000, reason: '', wasClean: true });
    expect((await disconnected).statusCode).to.equal(1000);
  });
});
