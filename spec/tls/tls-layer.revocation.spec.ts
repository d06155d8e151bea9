import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SSLClientAuthenticationEvent } from '../../lib/server/events';
import { makeCrlMaterial, type CrlMaterial } from './crl-material';
import { cleanUp, openWss, roundTrip, tlsServer, wssFailure } from './helpers';

/** SSLCheckCRL end to end: a CRL made by `openssl ca -gencrl`, served by this spec's loopback HTTP server. */
describe('tls: SSLCheckCRL (client certificate revocation)', () => {
  let http: Server;
  let answer: 'serve' | 'hang' = 'serve';
  const requests: string[] = [];
  /** Certificates naming the spec's HTTP server as their distribution point. */
  let m: CrlMaterial;
  /** The same kind of material, naming a port nobody listens on. */
  let down: CrlMaterial;

  before(async () => {
    http = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      if (answer === 'serve') response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(m.bytes('crl.der'));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    m = makeCrlMaterial(`http://127.0.0.1:${(http.address() as AddressInfo).port}/ca.crl`);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    down = makeCrlMaterial(`http://127.0.0.1:${port}/ca.crl`);
  });
  after(async () => {
    m?.remove();
    down?.remove();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  beforeEach(() => {
    answer = 'serve';
    requests.length = 0;
  });
  afterEach(cleanUp);

  /** A server trusting the CRL CA, with `config`, recording its client-authentication events and SSLStatus lines. */
  async function crlServer(material: CrlMaterial, config: Record<string, string | number | boolean>, decide?: (e: SSLClientAuthenticationEvent) => void) {
    const server = tlsServer(undefined, { SSLCACerts: material.text('crl-ca.crt'), ...config });
    server.sslAuthenticateClients = true;
    const seen: SSLClientAuthenticationEvent[] = [];
    const statuses: string[] = [];
    const opened: number[] = [];
    server.on('SSLClientAuthentication', (e) => {
      seen.push({ ...e });
      decide?.(e);
    });
    server.on('SSLStatus', (e) => statuses.push(e.message));
    server.on('WebSocketOpenRequest', (e) => opened.push(e.connectionId));
    server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
    await server.startListening();
    return { server, seen, statuses, opened };
  }

  const client = (material: CrlMaterial, name: 'good' | 'revoked') => ({ key: material.text(`crl-client-${name}.key`), cert: material.text(`crl-client-${name}.crt`) });
  const REVOKED = /^certificate revoked \(CERT_REVOKED\): serial 2001 revoked on \d{4}-\d\d-\d\dT[\d:.]+Z, reason keyCompromise, according to the CRL from http:\/\/127\.0\.0\.1:\d+\/ca\.crl$/;

  for (const mode of [1, 2]) {
    it(`SSLCheckCRL=${mode}: a good certificate opens, a revoked one is refused with a status saying so (one fetch, cached)`, async () => {
      const { server, seen, statuses, opened } = await crlServer(m, { SSLCheckCRL: mode });
      const ws = await openWss(server.localPort, client(m, 'good'));
      expect(await roundTrip(ws, 'good')).to.equal('echo good');
      expect(seen[0]).to.deep.include({ status: 'OK', accept: true });
      expect(statuses).to.include(`Not revoked according to the CRL from ${m.url}.`);
      await wssFailure(server.localPort, client(m, 'revoked'));
      expect(seen[1]!.status).to.match(REVOKED);
      expect(seen[1]!.accept).to.equal(false);
      expect(opened).to.have.length(1);
      expect(requests).to.deep.equal(['GET /ca.crl']);
    });
  }

  it("the application's accept still has the last word over a revocation", async () => {
    const { server, seen } = await crlServer(m, { SSLCheckCRL: 2 }, (e) => {
      e.accept = true;
    });
    const ws = await openWss(server.localPort, client(m, 'revoked'));
    expect(await roundTrip(ws, 'anyway')).to.equal('echo anyway');
    expect(seen[0]!.status).to.match(REVOKED);
  });

  it('SSLCheckCRL=0 checks nothing and fetches nothing', async () => {
    const { server, seen } = await crlServer(m, { SSLCheckCRL: 0 });
    await openWss(server.localPort, client(m, 'revoked'));
    expect(seen[0]).to.deep.include({ status: 'OK', accept: true });
    expect(requests).to.deep.equal([]);
  });

  it('the CRL server down: mode 1 accepts as before, mode 2 refuses, both saying why', async () => {
    const lenient = await crlServer(down, { SSLCheckCRL: 1 });
    await openWss(lenient.server.localPort, client(down, 'revoked'));
    expect(lenient.seen[0]).to.deep.include({ status: 'OK', accept: true });
    expect(lenient.statuses.find((s) => s.startsWith('Revocation status unknown'))).to.match(new RegExp(`^Revocation status unknown: ${down.url.replace(/\./g, '\\.')}: connect ECONNREFUSED`));
    const strict = await crlServer(down, { SSLCheckCRL: 2 });
    await wssFailure(strict.server.localPort, client(down, 'good'));
    expect(strict.seen[0]!.status).to.match(new RegExp(`^unable to get certificate CRL \\(UNABLE_TO_GET_CRL\\): ${down.url.replace(/\./g, '\\.')}: connect ECONNREFUSED`));
    expect(strict.seen[0]!.accept).to.equal(false);
    expect(strict.opened).to.deep.equal([]);
  });

  it('SSLLocalCRLs answers without the network, the distribution point being down', async () => {
    const { server, seen, statuses } = await crlServer(down, { SSLCheckCRL: 2, SSLLocalCRLs: down.path('crl.pem') });
    await openWss(server.localPort, client(down, 'good'));
    await wssFailure(server.localPort, client(down, 'revoked'));
    expect(seen.map((e) => e.accept)).to.deep.equal([true, false]);
    expect(seen[1]!.status).to.contain(`according to the local CRL ${down.path('crl.pem')}`);
    expect(statuses).to.include(`Not revoked according to the local CRL ${down.path('crl.pem')}.`);
  });

  it('a distribution point that never answers: the handshake deadline ends the wait and the connection', async () => {
    answer = 'hang';
    const { server, seen, statuses, opened } = await crlServer(m, { SSLCheckCRL: 1, HandshakeTimeout: 1 });
    await wssFailure(server.localPort, client(m, 'good'));
    expect(statuses).to.include('TLS handshake timed out after 1 s (checking the client certificate for revocation).');
    expect(requests).to.deep.equal(['GET /ca.crl']);
    expect([seen, opened]).to.deep.equal([[], []]);
  });
});
