import { expect } from 'chai';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Settings, type SettingValue } from '../../lib/server/settings';
import { CertificateSelection } from '../../lib/tls/cert-selection';
import { Endpoints } from '../../lib/tls/endpoint';
import { startServerHandshake, type HandshakeOutcome } from '../../lib/tls/server-socket';
import { tlsSettings } from '../../lib/tls/tls-options';
import { PASSWORD, fixturePath, fixtureText } from './fixtures';
import { cleanUp, clientCertificate, tcpPair } from './helpers';

type Ending = { kind: 'secured'; socket: TLSSocket; verifyError: string | null } | { kind: 'failed'; error: Error } | { kind: 'closed' };

/** Starts startServerHandshake on the server end of a loopback connection; the client end is bare TCP. */
async function serverSide(config: Record<string, SettingValue>, authenticate: boolean, keyLog?: (line: Buffer) => void) {
  const selection = new CertificateSelection();
  selection.storeType = 2;
  selection.store = fixturePath('server-rsa.pfx');
  selection.password = PASSWORD;
  selection.subject = '*';
  const settings = tlsSettings(new Settings(config), authenticate);
  const endpoint = new Endpoints(selection, selection.resolve()!, settings).own;
  const { accepted, client: tcp } = await tcpPair();
  const endings: Ending[] = [];
  const ended = new Promise<Ending>((resolve) => {
    const end = (ending: Ending) => {
      endings.push(ending);
      resolve(endings[0]!);
    };
    const outcome: HandshakeOutcome = {
      secured: (socket, verifyError) => end({ kind: 'secured', socket, verifyError }),
      failed: (error) => end({ kind: 'failed', error }),
      closed: () => end({ kind: 'closed' }),
    };
    startServerHandshake(accepted, endpoint, settings, keyLog, outcome);
  });
  return { ended, endings, tcp };
}

/** serverSide() with a node:tls client on the TCP end. */
async function handshakeOver(config: Record<string, SettingValue>, authenticate: boolean, client: ConnectionOptions, keyLog?: (line: Buffer) => void) {
  const side = await serverSide(config, authenticate, keyLog);
  const tls = tlsConnect({ socket: side.tcp, servername: 'localhost', ca: fixtureText('ca.crt'), ...client });
  tls.on('error', () => undefined);
  return { ending: await side.ended, endings: side.endings, tcp: side.tcp as Socket, tls };
}

describe('tls/server-socket', () => {
  afterEach(cleanUp);

  it("runs the handshake on the connection's own TLS socket and carries data both ways", async () => {
    const { ending, tls } = await handshakeOver({}, false, {});
    expect(ending.kind).to.equal('secured');
    if (ending.kind !== 'secured') return;
    expect([ending.socket.getProtocol(), ending.verifyError]).to.deep.equal(['TLSv1.2', null]);
    const echoed = new Promise<string>((resolve) => tls.once('data', (data) => resolve(String(data))));
    ending.socket.on('data', (data) => ending.socket.write(`echo ${data}`));
    tls.write('hi');
    expect(await echoed).to.equal('echo hi');
  });

  it("reports OpenSSL's verdict on the client certificate, which node leaves out of `authorized` here", async () => {
    const verdict = async (client: ConnectionOptions) => {
      const { ending } = await handshakeOver({ SSLCACerts: fixtureText('ca.crt') }, true, client);
      return ending.kind === 'secured' ? ending.verifyError : ending.kind;
    };
    expect(await verdict(clientCertificate('client'))).to.equal(null);
    expect(await verdict(clientCertificate('client-other'))).to.equal('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(await verdict(clientCertificate('client-expired'))).to.equal('CERT_HAS_EXPIRED');
    expect(await verdict({})).to.be.a('string');
  });

  it('a failed handshake ends in failed() with the TLS error, once', async () => {
    const { ending, endings } = await handshakeOver({}, false, { minVersion: 'TLSv1.3' });
    expect(ending.kind).to.equal('failed');
    if (ending.kind === 'failed') expect(ending.error.message).to.contain('unsupported protocol');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(endings).to.have.length(1);
  });

  it('a client that goes away before the handshake is done ends it in closed()', async () => {
    const { ended, endings, tcp } = await serverSide({}, false);
    tcp.end(Buffer.from([22, 3, 1, 0, 200, 1]));
    expect((await ended).kind).to.equal('closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(endings).to.have.length(1);
  });

  it('after the handshake, TLS errors reach the error listeners of the socket, as on sockets node:tls servers accept', async () => {
    const { ending, tcp } = await handshakeOver({}, false, {});
    if (ending.kind !== 'secured') throw new Error(ending.kind);
    const error = new Promise<Error>((resolve) => ending.socket.once('error', resolve));
    // An application-data record the session cannot decrypt, straight onto the TCP connection.
    tcp.write(Buffer.concat([Buffer.from([23, 3, 3, 0, 32]), Buffer.alloc(32, 1)]));
    expect(await error).to.be.instanceOf(Error);
  });

  it('hands the session secrets to the key log', async () => {
    const lines: string[] = [];
    const { ending } = await handshakeOver({ SSLEnabledProtocols: 3072 + 12288 }, false, {}, (line) => lines.push(line.toString().split(' ')[0]!));
    expect(ending.kind).to.equal('secured');
    expect(lines).to.include.members(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET']);
  });
});
