import { expect } from 'chai';
import type { SSLClientAuthenticationEvent } from '../../lib/server/events';
import type { WSServer } from '../../lib/server/ws-server';
import { SUBJECTS, fixturePath, fixtureText } from './fixtures';
import { cleanUp, clientCertificate, openWss, roundTrip, tlsServer, wssFailure } from './helpers';
import { pemBlocks } from '../../lib/tls/certificate';

/** An echo server that asks for client certificates, trusting the test CA. */
async function authServer(config: Record<string, string | number | boolean> = {}, decide?: (e: SSLClientAuthenticationEvent) => void) {
  const server = tlsServer(undefined, { SSLCACerts: fixtureText('ca.crt'), ...config });
  server.sslAuthenticateClients = true;
  const seen: SSLClientAuthenticationEvent[] = [];
  const opened: number[] = [];
  server.on('SSLClientAuthentication', (e) => {
    seen.push({ ...e });
    decide?.(e);
  });
  server.on('WebSocketOpenRequest', (e) => opened.push(e.connectionId));
  server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
  await server.startListening();
  return { server, seen, opened };
}

const der = (name: string) => pemBlocks(fixtureText(name))[0]!.der;

async function refused(server: WSServer, options: object, opened: number[]): Promise<void> {
  const error = await wssFailure(server.localPort, options);
  expect(error).to.be.instanceOf(Error);
  expect(opened).to.deep.equal([]);
}

describe('tls: client certificates (SSLAuthenticateClients, SSLClientAuthentication)', () => {
  afterEach(cleanUp);

  it('a certificate from the trusted CA: status OK, accepted, the WebSocket opens', async () => {
    const { server, seen, opened } = await authServer();
    const ws = await openWss(server.localPort, clientCertificate('client'));
    expect(await roundTrip(ws, 'hi')).to.equal('echo hi');
    expect(seen).to.have.length(1);
    const event = seen[0]!;
    expect(event.connectionId).to.equal(opened[0]);
    expect(event.certSubject).to.equal(SUBJECTS.client);
    expect(event.certIssuer).to.equal(SUBJECTS.ca);
    expect(event.status).to.equal('OK');
    expect(event.accept).to.equal(true);
    expect(event.certEncoded).to.equal(der('client.crt').toString('base64'));
    expect(event.certEncodedB).to.deep.equal(Buffer.from(der('client.crt').toString('base64'), 'latin1'));
  });

  it('an expired certificate: why in status, not accepted, disconnected before WebSocketOpenRequest', async () => {
    const { server, seen, opened } = await authServer();
    await refused(server, clientCertificate('client-expired'), opened);
    expect(seen[0]!.status).to.equal('certificate has expired (CERT_HAS_EXPIRED)');
    expect(seen[0]!.accept).to.equal(false);
  });

  it('a certificate from another CA, and no certificate at all, are not accepted', async () => {
    const { server, seen, opened } = await authServer();
    await refused(server, clientCertificate('client-other'), opened);
    expect(seen[0]!.certSubject).to.equal(SUBJECTS.clientOther);
    expect(seen[0]!.status).to.equal('unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(seen[0]!.accept).to.equal(false);
    await refused(server, {}, opened);
    expect(seen[1]).to.deep.include({ certEncoded: '', certSubject: '', certIssuer: '', status: 'No client certificate was presented.', accept: false });
  });

  it('the application overrides the recommendation either way', async () => {
    const { server, opened } = await authServer({}, (e) => {
      e.accept = e.certSubject === SUBJECTS.clientOther;
    });
    const ws = await openWss(server.localPort, clientCertificate('client-other'));
    expect(await roundTrip(ws, 'stranger')).to.equal('echo stranger');
    expect(opened).to.have.length(1);
    await wssFailure(server.localPort, clientCertificate('client'));
    expect(opened).to.have.length(1);
  });

  it('SSLSecurityFlags 0x1 forgives an expired certificate, 0x10 an unknown CA', async () => {
    const expired = await authServer({ SSLSecurityFlags: 0x1 });
    await openWss(expired.server.localPort, clientCertificate('client-expired'));
    expect(expired.seen[0]).to.deep.include({ status: 'OK', accept: true });
    const unknown = await authServer({ SSLSecurityFlags: 0x10 });
    await openWss(unknown.server.localPort, clientCertificate('client-other'));
    expect(unknown.seen[0]).to.deep.include({ status: 'OK', accept: true });
  });

  it('SSLIncludeCertChain hands over the whole chain the client sent', async () => {
    const { server, seen } = await authServer({ SSLIncludeCertChain: true });
    await openWss(server.localPort, { key: fixtureText('client.key'), cert: fixtureText('client.crt') + fixtureText('ca.crt') });
    const blocks = pemBlocks(seen[0]!.certEncoded);
    expect(blocks.map((b) => b.der)).to.deep.equal([der('client.crt'), der('ca.crt')]);
    expect(seen[0]!.certEncodedB).to.deep.equal(Buffer.from(seen[0]!.certEncoded, 'latin1'));
    expect(seen[0]!.certEncoded.match(/-----BEGIN CERTIFICATE-----/g)).to.have.length(2);
  });

  describe('with no CA configured', () => {
    const UNTRUSTED = 'certificate not trusted: no CA certificate is configured for client certificates (SSLCACerts, OpenSSLCAFile, OpenSSLCADir, or SSLCACertFilePaths set explicitly) (CERT_UNTRUSTED)';

    /** An echo server asking for client certificates with only `config` as trust, and its Log lines. */
    async function untrustingServer(config: Record<string, string | number | boolean>, decide?: (e: SSLClientAuthenticationEvent) => void) {
      const server = tlsServer(undefined, config);
      server.sslAuthenticateClients = true;
      const seen: SSLClientAuthenticationEvent[] = [];
      const logs: string[] = [];
      const opened: number[] = [];
      server.on('Log', (e) => logs.push(`${e.logType}: ${e.message}`));
      server.on('SSLClientAuthentication', (e) => {
        seen.push({ ...e });
        decide?.(e);
      });
      server.on('WebSocketOpenRequest', (e) => opened.push(e.connectionId));
      server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
      await server.startListening();
      return { server, seen, logs, opened };
    }

    it('every certificate is reported untrusted and refused, and StartListening warns', async () => {
      // SSLSecurityFlags 0x10 (unknown CA) does not open the door: there is no CA at all.
      const { server, seen, logs, opened } = await untrustingServer({ SSLSecurityFlags: 0x10 });
      expect(logs).to.include(
        'Info: Warning: SSLAuthenticateClients is on but no CA certificate is configured for client certificates (SSLCACerts, OpenSSLCAFile, OpenSSLCADir, or SSLCACertFilePaths set explicitly): every client certificate is reported untrusted and refused unless SSLClientAuthentication accepts it.',
      );
      await refused(server, clientCertificate('client'), opened);
      expect(seen[0]).to.deep.include({ certSubject: SUBJECTS.client, status: UNTRUSTED, accept: false });
    });

    it("only the application's accept admits a certificate", async () => {
      const { server, seen, opened } = await untrustingServer({}, (e) => {
        e.accept = e.certSubject === SUBJECTS.client;
      });
      const ws = await openWss(server.localPort, clientCertificate('client'));
      expect(await roundTrip(ws, 'admitted')).to.equal('echo admitted');
      expect(seen[0]!.status).to.equal(UNTRUSTED);
      expect(opened).to.have.length(1);
    });

    it('SSLCACertFilePaths set by the application is trusted, as in the reference', async () => {
      const { server, seen, logs } = await untrustingServer({ SSLCACertFilePaths: `${fixturePath('nope.pem')};${fixturePath('ca.crt')}` });
      await openWss(server.localPort, clientCertificate('client'));
      expect(seen[0]).to.deep.include({ status: 'OK', accept: true });
      expect(logs.filter((line) => line.includes('Warning'))).to.deep.equal([]);
    });
  });

  describe('decisions that fail or take time (issue 12)', () => {
    /** A server trusting the test CA whose SSLClientAuthentication handler is `handler` (its result returned). */
    async function deciding(handler: (e: SSLClientAuthenticationEvent) => unknown, config: Record<string, string | number | boolean> = {}) {
      const server = tlsServer(undefined, { SSLCACerts: fixtureText('ca.crt'), ProcessIdleEvents: true, ...config });
      server.sslAuthenticateClients = true;
      const opened: number[] = [];
      const errors: string[] = [];
      const logs: string[] = [];
      server.on('SSLClientAuthentication', handler);
      server.on('WebSocketOpenRequest', (e) => void opened.push(e.connectionId));
      server.on('Error', (e) => void errors.push(e.description));
      server.on('Log', (e) => void logs.push(e.message));
      server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`).catch(() => undefined));
      await server.startListening();
      return { server, opened, errors, logs };
    }

    it('a handler that throws refuses even a trusted certificate it accepted; Error 615', async () => {
      const { server, opened, errors, logs } = await deciding((e) => {
        e.accept = true;
        throw new Error('policy engine down');
      });
      await refused(server, clientCertificate('client'), opened);
      expect(errors).to.deep.equal(['An event handler threw an exception in SSLClientAuthentication: policy engine down']);
      expect(logs).to.include('Client certificate refused (the SSLClientAuthentication handler failed).');
    });

    it('an async handler that accepts after awaiting: the WebSocket opens', async () => {
      const { server, opened } = await deciding(async (e) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        e.accept = e.certSubject === SUBJECTS.clientOther;
      });
      const ws = await openWss(server.localPort, clientCertificate('client-other'));
      expect(await roundTrip(ws, 'late yes')).to.equal('echo late yes');
      expect(opened).to.have.length(1);
    });

    it('an async handler that refuses after awaiting, or rejects: refused', async () => {
      let reject = false;
      const { server, opened, errors } = await deciding(async (e) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        if (reject) throw Symbol('denied');
        e.accept = false;
      });
      await refused(server, clientCertificate('client'), opened);
      reject = true;
      await refused(server, clientCertificate('client'), opened);
      expect(errors).to.deep.equal(['An event handler threw an exception in SSLClientAuthentication: Symbol(denied)']);
    });

    it('an async handler that never settles: the TLS handshake timeout still closes the connection', async () => {
      const { server, opened, logs } = await deciding(() => new Promise(() => undefined), { DefaultConnectionTimeout: 1 });
      await refused(server, clientCertificate('client'), opened);
      expect(logs).to.include('TLS handshake timed out after 1 s (SSLClientAuthentication undecided).');
    });

    it('in DoEvents mode too: an async handler is waited for after DoEvents fired it', async () => {
      const { server, opened } = await deciding(
        async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          e.accept = true;
        },
        { ProcessIdleEvents: false },
      );
      let running = true;
      const loop = (async () => {
        while (running) await server.doEvents();
      })();
      try {
        const ws = await openWss(server.localPort, clientCertificate('client'));
        expect(ws.readyState).to.equal(1);
        expect(opened).to.have.length(1);
      } finally {
        running = false;
        await loop;
      }
    });

    it('an SSLConnectionRequest handler that throws refuses the client before the handshake', async () => {
      const server = tlsServer(undefined, {});
      const errors: string[] = [];
      server.on('SSLConnectionRequest', () => {
        throw new Error('which certificate?');
      });
      server.on('Error', (e) => void errors.push(e.description));
      await server.startListening();
      expect(await wssFailure(server.localPort)).to.be.instanceOf(Error);
      expect(errors).to.deep.equal(['An event handler threw an exception in SSLConnectionRequest: which certificate?']);
    });
  });

  it('OpenSSLCAFile works as the trusted CAs too', async () => {
    const server = tlsServer(undefined, { OpenSSLCAFile: fixturePath('ca.crt') });
    server.sslAuthenticateClients = true;
    const statuses: string[] = [];
    server.on('SSLClientAuthentication', (e) => statuses.push(e.status));
    await server.startListening();
    await openWss(server.localPort, clientCertificate('client'));
    expect(statuses).to.deep.equal(['OK']);
  });
});
