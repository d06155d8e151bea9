import { expect } from 'chai';
import type { DisconnectedEvent, PingEvent } from '../../lib/server/events';
import type { WSServer } from '../../lib/server/ws-server';
import { fixturePath } from '../tls/fixtures';
import { RSA_PFX, cleanUp } from '../tls/helpers';
import { EXCHANGE, interopEcho } from './exchange';
import { runPythonClient } from './tools';

const TLS12_AND_13 = 3072 + 12288;

/** Our wss echo server (the PFX store, TLS 1.2 and 1.3) and its address by IP, which the certificate names too. */
async function wssEcho(config: Record<string, number | boolean> = {}): Promise<{ server: WSServer; url: string }> {
  const { server, port } = await interopEcho({ SSLEnabledProtocols: TLS12_AND_13, ...config }, RSA_PFX);
  return { server, url: `wss://127.0.0.1:${port}/interop` };
}

/** The Python client over TLS, verifying the server's certificate against the test CA. */
function python(url: string, scenario: string, ...extra: string[]): Promise<Record<string, any>> {
  return runPythonClient(url, scenario, '--ca', fixturePath('ca.crt'), ...extra);
}

describe('Interop: Python websockets client over wss:// (certificate verified against the test CA)', function () {
  this.timeout(30000);
  afterEach(cleanUp);

  it('echoes the whole exchange with permessage-deflate over TLS 1.3', async () => {
    const { server, url } = await wssEcho();
    const version = new Promise<string>((resolve) => server.once('Connected', (e) => resolve(server.config(`SSLNegotiatedVersion[${e.connectionId}]`))));
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'echo', '--compression', 'deflate');
    expect(report.tls_version).to.equal('TLSv1.3');
    expect(report.extensions).to.match(/^permessage-deflate/);
    expect(report.results.map((r: any) => [r.kind, r.size, r.ok])).to.deep.equal(EXCHANGE.map(([kind, size]) => [kind, size, true]));
    expect(await version).to.equal('TLS1.3');
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([1000, 'echo done']);
  });

  it('echoes the same exchange without compression (over TLS 1.2, the default protocols)', async () => {
    const { server, url } = await wssEcho({ SSLEnabledProtocols: 4032 });
    const opened = new Promise<string>((resolve) => server.once('Connected', (e) => resolve(server.connections.get(e.connectionId)!.extensions)));
    const report = await python(url, 'echo', '--compression', 'none');
    expect(report.tls_version).to.equal('TLSv1.2');
    expect(report.extensions).to.equal(null);
    expect(await opened).to.equal('');
    expect(report.results.map((r: any) => [r.kind, r.size, r.ok])).to.deep.equal(EXCHANGE.map(([kind, size]) => [kind, size, true]));
  });

  it('answers a ping with its payload (and reports it in the Ping event)', async () => {
    const { server, url } = await wssEcho();
    const pings: PingEvent[] = [];
    server.on('Ping', (e) => pings.push(e));
    const report = await python(url, 'ping');
    expect([report.pong, report.tls_version]).to.deep.equal([true, 'TLSv1.3']);
    expect(pings.map((p) => [p.payloadB.toString(), p.response])).to.deep.equal([['interop-ping', false]]);
  });

  it('sees the client close 1000 with its reason', async () => {
    const { server, url } = await wssEcho();
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'client-close');
    expect([report.close_code, report.tls_version]).to.deep.equal([1000, 'TLSv1.3']);
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([1000, 'python done']);
  });

  it('closes from the server with DisconnectStatusCode/DisconnectStatusDescription', async () => {
    const { server, url } = await wssEcho();
    server.config('DisconnectStatusCode=4001');
    server.config('DisconnectStatusDescription=bye over tls');
    server.removeAllListeners('DataIn');
    server.on('DataIn', (e) => {
      if (e.text === 'close me') void server.disconnect(e.connectionId);
    });
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'server-close');
    expect(report).to.include({ code: 4001, reason: 'bye over tls', sent_code: 4001, tls_version: 'TLSv1.3' });
    expect((await disconnected).statusCode).to.equal(4001);
  });

  it('is refused by a client that does not trust the certificate (the TLS is real)', async () => {
    const { url } = await wssEcho();
    const failure = await runPythonClient(url, 'ping', '--ca', fixturePath('other-ca.crt')).then(
      () => null,
      (error: Error) => error,
    );
    expect(failure?.message).to.match(/^python client failed: SSLCertVerificationError: .*certificate verify failed/);
  });
});
