import { expect } from 'chai';
import type { Server } from 'node:http';
import type { DisconnectedEvent } from '../../lib/server/events';
import { stopServers } from '../helpers/server';
import { Chromium, type Page } from './chromium';
import { allEchoed, interopEcho, servePage, stopPage } from './exchange';

const EXPECTED = allEchoed();

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
    await stopPage(http);
  });

  afterEach(stopServers);

  it('echoes text and ArrayBuffer messages of every size with permessage-deflate, and sees the close code and reason', async () => {
    const { server, port } = await interopEcho();
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
    const { server, port } = await interopEcho({ EnablePermessageDeflate: false });
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await page.evaluate(`runInterop('ws://127.0.0.1:${port}/', [], 1000, '')`, 40000);
    expect(report.extensions).to.equal('');
    expect(report.protocol).to.equal('');
    expect(report.results).to.deep.equal(EXPECTED);
    expect(report.close).to.deep.equal({ code: 1000, reason: '', wasClean: true });
    expect((await disconnected).statusCode).to.equal(1000);
  });
});
