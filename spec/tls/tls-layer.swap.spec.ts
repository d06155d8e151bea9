/**
 * Replacing the server certificate while listening (docs/OPERATIONS.md): selecting it again, store first
 * and subject last as always, gives new connections the new certificate; established connections keep
 * theirs and go on working; a selection that cannot be used throws and leaves the previous one in use.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type WebSocket from 'ws';
import { ErrorCode } from '../../lib/generated/api';
import { cleanUp, echoServer, handshake, openWss, roundTrip } from './helpers';
import { SUBJECTS, fixturePath } from './fixtures';

/** The subject of the certificate the server showed this client, in the reference's form. */
function shownSubject(socket: TLSSocket): string {
  const subject = socket.getPeerCertificate().subject as unknown as Record<string, string>;
  return ['CN', 'OU', 'O', 'C'].filter((k) => subject[k]).map((k) => `${k}=${subject[k]}`).join(', ');
}

function wsSocket(ws: WebSocket): TLSSocket {
  return (ws as unknown as { _socket: TLSSocket })._socket;
}

describe('TLS layer: certificate replaced while listening', () => {
  afterEach(cleanUp);

  it('serves the new certificate to new connections; an established one keeps its own and works on', async () => {
    const server = await echoServer();
    const before = await openWss(server.localPort);
    expect(shownSubject(wsSocket(before))).to.equal(SUBJECTS.serverRsa);

    server.sslCertStoreType = 6; // cstPEMKeyFile
    server.sslCertStore = fixturePath('server-ecdsa.key-and-cert.pem');
    server.sslCertStorePassword = '';
    server.sslCertSubject = '*';
    expect(server.sslCertSubject).to.equal(SUBJECTS.serverEcdsa);

    const after = await openWss(server.localPort);
    expect(shownSubject(wsSocket(after))).to.equal(SUBJECTS.serverEcdsa);
    expect(await roundTrip(after, 'new')).to.equal('echo new');
    expect(shownSubject(wsSocket(before))).to.equal(SUBJECTS.serverRsa);
    expect(await roundTrip(before, 'old')).to.equal('echo old');
    expect(server.connections.size).to.equal(2);
  });

  it('throws for a selection that cannot be used and keeps serving the previous certificate', async () => {
    const server = await echoServer();
    const thrown = (() => {
      try {
        server.sslCertSubject = 'CN=nobody here';
        return null;
      } catch (error) {
        return error as { code: number };
      }
    })();
    expect(thrown?.code).to.equal(ErrorCode.CannotFindCertificate);
    const { certificate } = await handshake(server.localPort);
    expect(certificate.subject.CN).to.equal('localhost');
    expect(certificate.subject.OU).to.equal(undefined);
  });

  it('replaces it through SSLCertEncoded as well', async () => {
    const server = await echoServer();
    server.sslCertStoreType = 6;
    server.sslCertStore = fixturePath('server-ecdsa.key-and-cert.pem');
    server.sslCertStorePassword = '';
    server.sslCertEncoded = readFileSync(fixturePath('server-ecdsa.crt'), 'latin1');
    const { certificate } = await handshake(server.localPort);
    expect(certificate.subject.OU).to.equal('ECDSA');
  });
});
