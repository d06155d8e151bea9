import { expect } from 'chai';
import * as api from '../../compat/procedural';
import { IPWorksSSL_WSServer, IPWorksSSLError } from '../../compat';
import { pemBlocks } from '../../lib/tls/certificate';
import { closeAll, listening } from '../helpers/compat';
import { PASSWORD, SUBJECTS, fixture, fixturePath, fixtureText } from './fixtures';
import { cleanUp, clientCertificate, openWss, roundTrip, wssFailure } from './helpers';

const ID = { SSLAuthenticateClients: 25, SSLCertEncoded: 27, SSLCertStore: 43, SSLCertStorePassword: 44, SSLCertStoreType: 45, SSLCertSubject: 46 };
const EVENT = { SSLClientAuthentication: 9, SSLConnectionRequest: 10, SSLStatus: 11, DataIn: 3 };

describe('tls: the SSL properties and events through the compat faces', () => {
  afterEach(async () => {
    await closeAll();
    await cleanUp();
  });

  it('procedural: certificate properties by ID, events 9–11 with the reference parameter names', async () => {
    const seen: Record<number, Array<Record<string, unknown>>> = { 9: [], 10: [], 11: [] };
    const { res, port } = await listening((res) => {
      expect(api.ipworksssl_wsserver_set(res, ID.SSLCertStoreType, 2)).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, ID.SSLCertStore, fixturePath('server-rsa.pfx'))).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, ID.SSLCertStorePassword, PASSWORD)).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, ID.SSLCertSubject, '*')).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, ID.SSLAuthenticateClients, 'True')).to.equal(0);
      api.ipworksssl_wsserver_do_config(res, `SSLCACerts=${fixtureText('ca.crt')}`);
      for (const id of [9, 10, 11]) api.ipworksssl_wsserver_register_callback(res, id, (params) => void seen[id]!.push({ ...params }));
      api.ipworksssl_wsserver_register_callback(res, EVENT.DataIn, (params) => {
        void api.ipworksssl_wsserver_do_sendtext(res, params.connectionid as number, `echo ${params.text}`);
      });
    });
    expect(api.ipworksssl_wsserver_get(res, ID.SSLCertSubject)).to.equal(SUBJECTS.serverRsa);
    expect(api.ipworksssl_wsserver_get(res, ID.SSLCertEncoded)).to.equal(fixture('server-rsa.der').toString('base64'));
    const ws = await openWss(port, clientCertificate('client'));
    expect(await roundTrip(ws, 'compat')).to.equal('echo compat');

    const request = seen[10]![0]!;
    expect(Object.keys(request)).to.deep.equal(['connectionid', 'supportedciphersuites', 'supportedsignaturealgs', 'certstoretype', 'certstore', 'certpassword', 'certsubject']);
    expect(request.supportedciphersuites).to.contain('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    const auth = seen[9]![0]!;
    expect(Object.keys(auth)).to.deep.equal(['connectionid', 'certencoded', 'certencodedb', 'certsubject', 'certissuer', 'status', 'accept']);
    expect(auth).to.deep.include({ certsubject: SUBJECTS.client, certissuer: SUBJECTS.ca, status: 'OK', accept: true });
    expect(auth.certencodedb).to.deep.equal(Buffer.from(pemBlocks(fixtureText('client.crt'))[0]!.der.toString('base64'), 'latin1'));
    expect(seen[11]!.map((p) => Object.keys(p))).to.deep.include(['connectionid', 'message']);
    const id = request.connectionid as number;
    expect(api.ipworksssl_wsserver_do_config(res, `SSLNegotiatedVersion[${id}]`)).to.equal('TLS1.2');
  });

  it('procedural: a callback refusing the client certificate (accept=false in the returned params)', async () => {
    const { port } = await listening((res) => {
      api.ipworksssl_wsserver_set(res, ID.SSLCertStoreType, 6);
      api.ipworksssl_wsserver_set(res, ID.SSLCertStore, fixturePath('server-rsa.key-and-cert.pem'));
      api.ipworksssl_wsserver_set(res, ID.SSLCertSubject, 'localhost');
      api.ipworksssl_wsserver_set(res, ID.SSLAuthenticateClients, true);
      api.ipworksssl_wsserver_do_config(res, `OpenSSLCAFile=${fixturePath('ca.crt')}`);
      api.ipworksssl_wsserver_register_callback(res, EVENT.SSLClientAuthentication, (params) => ({ ...params, accept: false }));
    });
    expect(await wssFailure(port, clientCertificate('client'))).to.be.instanceOf(Error);
  });

  it('procedural: a store that cannot be opened gives 271 from set and from do_startlistening', async () => {
    const res = api.ipworksssl_wsserver_open();
    try {
      api.ipworksssl_wsserver_set(res, 23, '127.0.0.1');
      api.ipworksssl_wsserver_set(res, ID.SSLCertStoreType, 2);
      api.ipworksssl_wsserver_set(res, ID.SSLCertStore, fixturePath('server-rsa.pfx'));
      api.ipworksssl_wsserver_set(res, ID.SSLCertStorePassword, 'wrong');
      expect(api.ipworksssl_wsserver_set(res, ID.SSLCertSubject, '*')).to.equal(271);
      expect(api.ipworksssl_wsserver_get_last_error(res)).to.match(/^Cannot open certificate store\. Wrong password for the PFX store/);
      expect(await api.ipworksssl_wsserver_do_startlistening(res)).to.equal(271);
      expect(api.ipworksssl_wsserver_get(res, 22)).to.equal(false);
    } finally {
      api.ipworksssl_wsserver_close(res);
    }
  });

  it('PHP-style: fireSSLConnectionRequest returns an alternate certificate', async () => {
    class Server extends IPWorksSSL_WSServer {
      override fireSSLConnectionRequest(param: Record<string, unknown>): unknown {
        return { ...param, certstoretype: 2, certstore: fixturePath('server-ecdsa.pfx'), certpassword: PASSWORD, certsubject: '*' };
      }
    }
    const server = new Server();
    server.setLocalHost('127.0.0.1');
    server.setSSLCertStoreType(2);
    server.setSSLCertStore(fixturePath('server-rsa.pfx'));
    server.setSSLCertStorePassword(PASSWORD);
    server.setSSLCertSubject('*');
    server.doConfig('ProcessIdleEvents=true');
    await server.doStartListening();
    try {
      const ws = await openWss(server.getLocalPort());
      const peer = (ws as unknown as { _socket: import('node:tls').TLSSocket })._socket.getPeerX509Certificate()!;
      expect(peer.subject).to.contain('OU=ECDSA');
      ws.terminate();
      server.setSSLCertStorePassword('wrong');
      let caught: unknown;
      try {
        server.setSSLCertSubject('*');
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(IPWorksSSLError);
      expect((caught as IPWorksSSLError).code).to.equal(271);
    } finally {
      await server.doShutdown();
    }
  });
});
