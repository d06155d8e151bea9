import { expect } from 'chai';
import type { Server } from 'node:http';
import type { DisconnectedEvent } from '../../lib/server/events';
import type { WSServer } from '../../lib/server/ws-server';
import { fixturePath } from '../tls/fixtures';
import { cleanUp, type CertificateSetup } from '../tls/helpers';
import { Chromium, type Page } from './chromium';
import { allEchoed, interopEcho, servePage, stopPage } from './exchange';

/** The throw-away server certificate as a PEM key+certificate file (cstPEMKeyFile); its CA is unknown to Chromium. */
const PEM_KEY_FILE: CertificateSetup = { storeType: 6, store: fixturePath('server-rsa.key-and-cert.pem'), subject: '*' };

const TLS12_AND_13 = 3072 + 12288;

/** What the server knew about the connection when it opened, TLS settings included. */
function watchConnection(server: WSServer): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    server.once('Connected', (e) => {
      const c = server.connections.get(e.connectionId)!;
      resolve({
        origin: c.origin,
        extensions: c.extensions,
        protocol: c.protocol,
        requestURI: c.requestURI,
        version: server.config(`SSLNegotiatedVersion[${e.connectionId}]`),
        cipherSuite: server.config(`SSLNegotiatedCipherSuite[${e.connectionId}]`),
      });
    });
  });
}

describe('Interop: headless Chromium over wss:// (throw-away certificate, --ignore-certificate-errors)', function () {
  this.timeout(60000);
  let browser: Chromium;
  let page: Page;
  let http: Server;
  let origin: string;

  before(async () => {
    browser = await Chromium.launch(20000, ['--ignore-certificate-errors']);
    page = await browser.newPage();
    // The page itself stays on http: a page on http may open wss:// to another port.
    ({ http, origin } = await servePage());
    await page.goto(`${origin}/`);
  });

  after(async () => {
    await browser?.close();
    await stopPage(http);
  });

  afterEach(cleanUp);

  it('echoes text and ArrayBuffer messages of every size with permessage-deflate, and sees the close code and reason', async () => {
    const { server, port } = await interopEcho({}, PEM_KEY_FILE);
    const seen = watchConnection(server);
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await page.evaluate(`runInterop('wss://127.0.0.1:${port}/secure?x=2', ['superchat', 'chat'], 4000, 'wss done ✓')`, 40000);
    expect(report.results).to.deep.equal(allEchoed());
    expect(report.protocol).to.equal('chat');
    expect(report.extensions).to.match(/^permessage-deflate/);
    expect([report.close.code, report.close.wasClean]).to.deep.equal([4000, true]);
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([4000, 'wss done ✓']);
    const connection = await seen;
    expect(connection).to.include({ origin, protocol: 'chat', requestURI: '/secure?x=2' });
    expect(connection.extensions).to.match(/^permessage-deflate/);
    // The default SSLEnabledProtocols (4032) stops at TLS 1.2.
    expect(connection.version).to.equal('TLS1.2');
    expect(connection.cipherSuite).to.match(/^TLS_ECDHE_RSA_WITH_/);
  });

  it('works over TLS 1.3 without compression, closing with 1000', async () => {
    const { server, port } = await interopEcho({ EnablePermessageDeflate: false, SSLEnabledProtocols: TLS12_AND_13 }, PEM_KEY_FILE);
    const seen = watchConnection(server);
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await page.evaluate(`runInterop('wss://127.0.0.1:${port}/', [], 1000, '')`, 40000);
    expect(report.extensions).to.equal('');
    expect(report.protocol).to.equal('');
    expect(report.results).to.deep.equal(allEchoed());
    expect(report.close).to.deep.equal({ code: 1000, reason: '', wasClean: true });
    expect((await disconnected).statusCode).to.equal(1000);
    const connection = await seen;
    expect([connection.version, connection.extensions]).to.deep.equal(['TLS1.3', '']);
  });
});
