/**
 * Property conformance, driven by the API description: every property ID is read on a fresh handle,
 * round-tripped when writable, refused when read-only or write-only, and (for the per-connection
 * arrays) refused without a valid ConnectionId and read through a live connection.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { ErrorCode, PACKAGE_VERSION, PROPERTIES, PropertyId, errorMessage } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { IPWorksSSL_WSServer, IPWorksSSLError } from '../../compat';
import { closeAll, listening } from '../helpers/compat';
import { eventually } from '../helpers/server';

/** A value to write to each writable non-connection property, and what reads back. */
const SAMPLES: Record<number, { write: unknown; read: unknown }> = {
  [PropertyId.ConnectionBacklog]: { write: 64, read: 64 },
  [PropertyId.DefaultTimeout]: { write: '7', read: 7 },
  [PropertyId.LocalHost]: { write: '127.0.0.1', read: '127.0.0.1' },
  [PropertyId.LocalPort]: { write: 12345, read: 12345 },
  [PropertyId.SSLAuthenticateClients]: { write: 'True', read: true },
  [PropertyId.SSLCertStore]: { write: '/nonexistent/server.pfx', read: '/nonexistent/server.pfx' },
  [PropertyId.SSLCertStorePassword]: { write: 'secret', read: 'secret' },
  [PropertyId.SSLCertStoreType]: { write: 2, read: 2 },
  [PropertyId.RuntimeLicense]: { write: 'ANY-KEY', read: 'ANY-KEY' },
};

/**
 * Writable properties whose round trip is not a plain store-and-read, each tested on its own below:
 * Listening starts a server; the certificate selectors search the certificate store (spec/tls).
 */
const SPECIAL = new Map<number, string>([
  [PropertyId.Listening, 'starts and stops listening (tested below)'],
  [PropertyId.SSLCertEncoded, 'selects a certificate in the store (spec/tls)'],
  [PropertyId.SSLCertSubject, 'searches the certificate store (spec/tls)'],
]);

describe('compat properties (driven by tools/api/wsserver.json)', () => {
  afterEach(closeAll);

  describe('on a fresh handle', () => {
    for (const property of PROPERTIES) {
      const label = `${property.name} (${property.id})`;
      if (property.perConnection) {
        it(`${label} refuses without a valid ConnectionId (126)`, () => {
          const res = api.ipworksssl_wsserver_open();
          if (property.access === 'wo') {
            expect(api.ipworksssl_wsserver_set(res, property.id, 1, 'x')).to.equal(126);
          } else {
            expect(api.ipworksssl_wsserver_get(res, property.id)).to.equal(false);
            expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(126);
            expect(api.ipworksssl_wsserver_get(res, property.id, 9999)).to.equal(false);
            expect(api.ipworksssl_wsserver_get_last_error(res)).to.equal('Invalid ConnectionId.');
          }
          api.ipworksssl_wsserver_close(res);
        });
        continue;
      }
      it(`${label} reads ${JSON.stringify(property.computed ? PACKAGE_VERSION : property.default)} by default`, () => {
        const res = api.ipworksssl_wsserver_open();
        const expected = property.id === PropertyId.Version ? PACKAGE_VERSION : property.default;
        expect(api.ipworksssl_wsserver_get(res, property.id)).to.equal(expected);
        expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(0);
        api.ipworksssl_wsserver_close(res);
      });
      if (property.access === 'ro') {
        it(`${label} is read-only (603)`, () => {
          const res = api.ipworksssl_wsserver_open();
          expect(api.ipworksssl_wsserver_set(res, property.id, 1)).to.equal(ErrorCode.ReadOnlyProperty);
          expect(api.ipworksssl_wsserver_get_last_error(res)).to.equal(errorMessage(ErrorCode.ReadOnlyProperty));
          api.ipworksssl_wsserver_close(res);
        });
      } else if (!SPECIAL.has(property.id)) {
        it(`${label} round-trips`, () => {
          const sample = SAMPLES[property.id];
          expect(sample, `a sample value for ${property.name}`).to.not.equal(undefined);
          const res = api.ipworksssl_wsserver_open();
          expect(api.ipworksssl_wsserver_set(res, property.id, sample!.write)).to.equal(0);
          expect(api.ipworksssl_wsserver_get(res, property.id)).to.equal(sample!.read);
          api.ipworksssl_wsserver_close(res);
        });
      }
    }
  });

  it('Listening (22): true starts listening on LocalPort, false stops', async () => {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, '127.0.0.1');
    expect(api.ipworksssl_wsserver_set(res, PropertyId.Listening, true)).to.equal(0);
    await eventually(() => api.ipworksssl_wsserver_get(res, PropertyId.Listening) === true);
    expect(api.ipworksssl_wsserver_get(res, PropertyId.LocalPort)).to.be.greaterThan(0);
    expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, 1)).to.equal(ErrorCode.LocalPortWhileListening);
    expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, '::1')).to.equal(ErrorCode.LocalHostWhileListening);
    expect(api.ipworksssl_wsserver_do_config(res, 'MaxConnections=10')).to.equal('');
    expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.MaxConnectionsWhileListening);
    expect(api.ipworksssl_wsserver_set(res, PropertyId.Listening, 'False')).to.equal(0);
    await eventually(() => api.ipworksssl_wsserver_get(res, PropertyId.Listening) === false);
    api.ipworksssl_wsserver_close(res);
  });

  describe('errors', () => {
    it('an unknown property ID gives 602', () => {
      const res = api.ipworksssl_wsserver_open();
      for (const id of [20, 26, 999, -1]) {
        expect(api.ipworksssl_wsserver_get(res, id)).to.equal(false);
        expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.UnknownProperty);
        expect(api.ipworksssl_wsserver_set(res, id, 1)).to.equal(ErrorCode.UnknownProperty);
      }
      api.ipworksssl_wsserver_close(res);
    });
    it('a value of the wrong type gives 605 and leaves the property unchanged', () => {
      const res = api.ipworksssl_wsserver_open();
      expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, 'abc')).to.equal(ErrorCode.InvalidValue);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, 70000)).to.equal(ErrorCode.InvalidValue);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.DefaultTimeout, -1)).to.equal(ErrorCode.InvalidValue);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.SSLAuthenticateClients, 'maybe')).to.equal(ErrorCode.InvalidValue);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, { host: 'x' })).to.equal(ErrorCode.InvalidValue);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.LocalPort)).to.equal(0);
      api.ipworksssl_wsserver_close(res);
    });
    it('a plain property set with an index gives 616 (no silent mix-up of the argument order)', () => {
      const res = api.ipworksssl_wsserver_open();
      expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, 1, 8080)).to.equal(ErrorCode.InvalidArgument);
      api.ipworksssl_wsserver_close(res);
    });
    it('a bad handle gives 601 and never throws', async () => {
      expect(api.ipworksssl_wsserver_get(424242, 24)).to.equal(false);
      expect(api.ipworksssl_wsserver_set(424242, 24, 1)).to.equal(ErrorCode.InvalidHandle);
      expect(api.ipworksssl_wsserver_get_last_error_code(424242)).to.equal(ErrorCode.InvalidHandle);
      expect(api.ipworksssl_wsserver_get_last_error(424242)).to.equal('Invalid handle.');
      expect(api.ipworksssl_wsserver_close(424242)).to.equal(ErrorCode.InvalidHandle);
      expect(await api.ipworksssl_wsserver_do_doevents(424242)).to.equal(ErrorCode.InvalidHandle);
      expect(api.ipworksssl_wsserver_do_config(424242, 'LogLevel')).to.equal('');
    });
    it('a closed handle is no longer valid', () => {
      const res = api.ipworksssl_wsserver_open();
      expect(api.ipworksssl_wsserver_close(res)).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, 1)).to.equal(ErrorCode.InvalidHandle);
    });
    it('the PHP-style class throws IPWorksSSLError "<code>: <text>"', () => {
      const server = new IPWorksSSL_WSServer();
      try {
        expect(() => server.setLocalPort('abc' as unknown as number)).to.throw(IPWorksSSLError, '605: Invalid value.');
        try {
          server.getWSConnectionRemoteHost(77);
          expect.fail('should throw');
        } catch (error) {
          expect(error).to.be.instanceOf(IPWorksSSLError);
          expect((error as IPWorksSSLError).code).to.equal(126);
          expect((error as Error).message).to.equal('126: Invalid ConnectionId.');
        }
      } finally {
        server.dispose();
      }
    });
  });

  describe('per connection, with a live connection', () => {
    it('every WSConnection property reads the connection and the writable ones round-trip', async () => {
      let cid = 0;
      const { res, port } = await listening((res) => {
        api.ipworksssl_wsserver_register_callback(res, 1, (p) => {
          cid = p.connectionid as number;
        });
        api.ipworksssl_wsserver_register_callback(res, 12, (p) => {
          p.subprotocols = 'chat';
        });
      });
      const ws = new WebSocket(`ws://127.0.0.1:${port}/chat?room=1`, ['chat', 'superchat'], { origin: 'http://example.test' });
      const received: string[] = [];
      ws.on('message', (data) => received.push(data.toString()));
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      await eventually(() => cid > 0);
      const localPort = (ws as unknown as { _socket: { localPort: number } })._socket.localPort;
      const expected: Record<number, unknown> = {
        [PropertyId.WSConnectionAcceptData]: true,
        [PropertyId.WSConnectionBytesSent]: 0,
        [PropertyId.WSConnectionConnected]: true,
        [PropertyId.WSConnectionConnectionId]: String(cid),
        [PropertyId.WSConnectionDataFormat]: 0,
        [PropertyId.WSConnectionHost]: `127.0.0.1:${port}`,
        [PropertyId.WSConnectionLineMode]: false,
        [PropertyId.WSConnectionLocalAddress]: '127.0.0.1',
        [PropertyId.WSConnectionOrigin]: 'http://example.test',
        [PropertyId.WSConnectionReadyToSend]: true,
        [PropertyId.WSConnectionRemoteHost]: '127.0.0.1',
        [PropertyId.WSConnectionRemotePort]: localPort,
        [PropertyId.WSConnectionRequestURI]: '/chat?room=1',
        [PropertyId.WSConnectionSubProtocols]: 'chat, superchat',
        [PropertyId.WSConnectionTimeout]: 0,
      };
      for (const property of PROPERTIES.filter((p) => p.perConnection)) {
        if (property.access === 'wo') {
          expect(api.ipworksssl_wsserver_get(res, property.id, cid), property.name).to.equal(false);
          expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.WriteOnlyProperty);
          continue;
        }
        const value = api.ipworksssl_wsserver_get(res, property.id, cid);
        if (property.id === PropertyId.WSConnectionRequestHeaders) {
          expect(value).to.match(/(^|\r\n)Host: 127\.0\.0\.1:\d+(\r\n|$)/);
          expect(value).to.contain('Sec-WebSocket-Protocol: chat,superchat');
        } else {
          expect(value, property.name).to.deep.equal(expected[property.id]);
        }
        if (property.access === 'ro') expect(api.ipworksssl_wsserver_set(res, property.id, cid, 1), property.name).to.equal(ErrorCode.ReadOnlyProperty);
      }
      // Writable ones, as string ids too (the contract accepts a numeric string).
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, String(cid), 5)).to.equal(0);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionTimeout, cid)).to.equal(5);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, cid, 0)).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataFormat, cid, 2)).to.equal(0);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionDataFormat, cid)).to.equal(2);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataFormat, cid, 3)).to.equal(ErrorCode.InvalidValue);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataFormat, cid, 1)).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionAcceptData, cid, false)).to.equal(0);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionAcceptData, cid)).to.equal(false);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionAcceptData, cid, 'yes')).to.equal(0);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionAcceptData, cid)).to.equal(true);
      // DataToSend (write-only) sends, and BytesSent tells how much of it was queued.
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataToSend, cid, 'sent by DataToSend')).to.equal(0);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionBytesSent, cid)).to.equal(18);
      await eventually(() => received.includes('sent by DataToSend'));
      // Connected=false closes the connection.
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionConnected, cid, false)).to.equal(0);
      expect(await closed).to.equal(1000);
      await eventually(() => api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionCount) === 0);
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionRemoteHost, cid)).to.equal(false);
      expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(126);
    });
  });

  describe('PHP-style accessors', () => {
    it('exist for every property: getX for readable, setX for writable (WSConnection ones take the id first)', () => {
      const prototype = IPWorksSSL_WSServer.prototype as unknown as Record<string, unknown>;
      for (const property of PROPERTIES) {
        if (property.id === PropertyId.Version) continue;
        expect(typeof prototype[`get${property.name}`], `get${property.name}`).to.equal(property.access === 'wo' ? 'undefined' : 'function');
        expect(typeof prototype[`set${property.name}`], `set${property.name}`).to.equal(property.access === 'ro' ? 'undefined' : 'function');
        if (property.perConnection && property.access !== 'wo') expect((prototype[`get${property.name}`] as Function).length).to.equal(1);
      }
    });
    it('round-trip through the class as through the procedural face', () => {
      const server = new IPWorksSSL_WSServer();
      try {
        server.setLocalPort(4321);
        expect(server.getLocalPort()).to.equal(4321);
        server.setDefaultTimeout(3);
        expect(server.getDefaultTimeout()).to.equal(3);
        expect(server.getWSConnectionCount()).to.equal(0);
        expect(server.VERSION()).to.equal(PACKAGE_VERSION);
        server.setRuntimeLicense('x');
        expect(server.getRuntimeLicense()).to.equal('x');
      } finally {
        server.dispose();
      }
    });
  });
});
