import { expect } from 'chai';
import { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Settings, type SettingValue } from '../../lib/server/settings';
import { CertificateSelection } from '../../lib/tls/cert-selection';
import type { TlsHost, TlsPeer } from '../../lib/tls/tls-host';
import { negotiatedSetting, prepareTls } from '../../lib/tls/tls-layer';
import { PASSWORD, fixturePath, fixtureText } from './fixtures';
import { cleanUp, tcpPair } from './helpers';

/** A host that records what the layer fires; held events go on at the next turn, as from DoEvents. */
function fakeHost(config: Record<string, SettingValue> = {}) {
  const events: Array<[string, unknown]> = [];
  const host: TlsHost = {
    settings: new Settings(config),
    sslAuthenticateClients: false,
    dispatchEvent: (name, event) => void events.push([name, { ...event }]),
    dispatchHeld: (name: string, event: object, decided: (refused: boolean) => void) => {
      events.push([name, { ...event }]);
      setImmediate(decided, false);
    },
    log: () => undefined,
    reportError: (connectionId, errorCode, description) => void events.push(['Error', { connectionId, errorCode, description }]),
  };
  return { host, events };
}

/**
 * A peer over a real accepted socket. Its read gate pauses and resumes through Socket.prototype; the
 * sockets' own pause/resume count calls from anyone else, which must be none.
 */
function fakePeer(raw: Socket) {
  const log: string[] = [];
  const foreign: string[] = [];
  const watch = (socket: Socket, name: string) => {
    socket.pause = () => (foreign.push(`${name}.pause`), Socket.prototype.pause.call(socket));
    socket.resume = () => (foreign.push(`${name}.resume`), Socket.prototype.resume.call(socket));
  };
  watch(raw, 'raw');
  let current: Socket = raw;
  let tls: TLSSocket | null = null;
  const peer: TlsPeer = {
    connectionId: 7,
    rawSocket: raw,
    useSocket: (socket) => {
      log.push('useSocket');
      tls = socket;
      current = socket;
      watch(socket, 'tls');
      Socket.prototype.pause.call(socket);
    },
    destroy: () => void (log.push('destroy'), current.destroy()),
    holdReading: (held) => {
      log.push(held ? 'hold' : 'release');
      (held ? Socket.prototype.pause : Socket.prototype.resume).call(current);
    },
  };
  return { peer, log, foreign, tlsSocket: () => tls };
}

function serverCertificate(): CertificateSelection {
  const selection = new CertificateSelection();
  selection.storeType = 2;
  selection.store = fixturePath('server-rsa.pfx');
  selection.password = PASSWORD;
  selection.subject = '*';
  return selection;
}

/** Runs one connection through the layer with fakes on the engine's side, and a wss-less TLS client. */
async function throughFakes(config: Record<string, SettingValue> = {}) {
  const { host, events } = fakeHost(config);
  const layer = prepareTls(host, serverCertificate())!;
  const { accepted, client } = await tcpPair();
  const fake = fakePeer(accepted);
  const proceeded = new Promise<void>((resolve) =>
    layer.begin(fake.peer, () => {
      fake.log.push('proceed');
      resolve();
    }),
  );
  const tls = tlsConnect({ socket: client, servername: 'localhost', ca: fixtureText('ca.crt') });
  tls.on('error', () => undefined);
  await proceeded;
  return { ...fake, events, tls };
}

describe('tls/tls-host: the layer driven through TlsHost and TlsPeer alone', () => {
  afterEach(cleanUp);

  for (const logPackets of [false, true]) {
    it(`holds reading from the ClientHello until the TLS socket has taken over, and never pauses a socket itself${logPackets ? ' (LogSSLPackets)' : ''}`, async () => {
      const { log, foreign, events, tls, tlsSocket } = await throughFakes({ LogSSLPackets: logPackets });
      expect(log).to.deep.equal(['release', 'hold', 'useSocket', 'release', 'proceed']);
      expect(foreign).to.deep.equal([]);
      const names = events.map(([name]) => name);
      expect(names).to.include.members(['SSLStatus', 'SSLConnectionRequest']);
      expect(names.indexOf('SSLConnectionRequest')).to.be.below(names.lastIndexOf('SSLStatus'));
      // The engine's side now reads the TLS socket (a 'data' listener resumes it: the spec's own doing).
      const received = new Promise<string>((resolve) => tlsSocket()!.once('data', (data) => resolve(String(data))));
      tls.write('upgrade request');
      expect(await received).to.equal('upgrade request');
    });
  }

  it('keeps the session for SSLNegotiated*[cid]', async () => {
    const { peer } = fakePeer(new Socket());
    expect(negotiatedSetting(peer, 'SSLNegotiatedVersion')).to.equal('');
    expect(negotiatedSetting(peer, 'SSLNegotiatedCipherStrength')).to.equal('0');
    expect(negotiatedSetting(peer, 'NotASetting')).to.equal(undefined);
    const { host } = fakeHost();
    const layer = prepareTls(host, serverCertificate())!;
    const { accepted, client } = await tcpPair();
    const fake = fakePeer(accepted);
    const done = new Promise<void>((resolve) => layer.begin(fake.peer, resolve));
    tlsConnect({ socket: client, servername: 'localhost', ca: fixtureText('ca.crt'), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }).on('error', () => undefined);
    await done;
    expect(negotiatedSetting(fake.peer, 'SSLNegotiatedVersion')).to.equal('TLS1.2');
    expect(negotiatedSetting(fake.peer, 'SSLNegotiatedCipherSuite')).to.equal('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  });
});
