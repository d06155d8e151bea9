import { expect } from 'chai';
import type { ClientHello } from '../../lib/tls/client-hello';
import { OPENSSL_DEFAULT_GROUPS, negotiated, predictGroup, versionName } from '../../lib/tls/negotiated';

function hello(supportedGroups: number[], keyShareGroups: number[] = []): ClientHello {
  return { legacyVersion: 0x0303, supportedVersions: [], cipherSuites: [], signatureAlgorithms: [], supportedGroups, keyShareGroups, serverName: '', alpn: [] };
}

const X25519 = 0x1d;
const P256 = 0x17;
const P384 = 0x18;
const FFDHE2048 = 0x100;

describe('tls/negotiated', () => {
  it('versionName uses the reference spelling', () => {
    expect(['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', null].map(versionName)).to.deep.equal(['TLS1.3', 'TLS1.2', 'TLS1.1', 'TLS1', '']);
  });

  describe('predictGroup', () => {
    it('TLS 1.3: the first key share the server allows', () => {
      expect(predictGroup(hello([X25519, P256], [X25519]), OPENSSL_DEFAULT_GROUPS, false, true)).to.equal(X25519);
      expect(predictGroup(hello([X25519, P256], [X25519, P256]), [P256, P384], false, true)).to.equal(P256);
    });

    it('TLS 1.3 without a usable share: the first common group (a HelloRetryRequest)', () => {
      expect(predictGroup(hello([P384, P256], [X25519]), [P256, P384], false, true)).to.equal(P384);
      expect(predictGroup(hello([P384, P256], [X25519]), [P256, P384], true, true)).to.equal(P256);
    });

    it('TLS 1.2 ECDHE: client order unless the server order wins; no finite-field groups', () => {
      expect(predictGroup(hello([FFDHE2048, P384, P256]), OPENSSL_DEFAULT_GROUPS, false, false)).to.equal(P384);
      expect(predictGroup(hello([P384, P256]), OPENSSL_DEFAULT_GROUPS, true, false)).to.equal(P256);
      expect(predictGroup(hello([0x9999]), OPENSSL_DEFAULT_GROUPS, false, false)).to.equal(0);
    });
  });

  describe('negotiated', () => {
    const base = { serverGroups: OPENSSL_DEFAULT_GROUPS, serverPreference: false, serverKeyBits: 2048 };

    it('TLS 1.3: ECDHE or DHE by the group, strength from it', () => {
      expect(negotiated({ ...base, protocol: 'TLSv1.3', suite: 'TLS_AES_256_GCM_SHA384', hello: hello([X25519], [X25519]) })).to.deep.equal({
        version: 'TLS1.3',
        cipherSuite: 'TLS_AES_256_GCM_SHA384',
        cipher: 'AES_256_GCM',
        cipherStrength: 256,
        keyExchange: 'ECDHE',
        keyExchangeStrength: 253,
      });
      expect(negotiated({ ...base, protocol: 'TLSv1.3', suite: 'TLS_AES_128_GCM_SHA256', hello: hello([FFDHE2048], [FFDHE2048]) })).to.deep.include({ keyExchange: 'DHE', keyExchangeStrength: 2048 });
    });

    it('TLS 1.2: from the suite; RSA takes the key size; DHE defaults to 2048', () => {
      expect(negotiated({ ...base, protocol: 'TLSv1.2', suite: 'TLS_RSA_WITH_AES_128_CBC_SHA', hello: hello([]) })).to.deep.include({ keyExchange: 'RSA', keyExchangeStrength: 2048, cipher: 'AES_128_CBC' });
      expect(negotiated({ ...base, protocol: 'TLSv1.2', suite: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', hello: hello([P256]) })).to.deep.include({ keyExchange: 'DHE', keyExchangeStrength: 2048 });
      expect(negotiated({ ...base, protocol: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', hello: hello([P256, X25519]) })).to.deep.include({ keyExchange: 'ECDHE', keyExchangeStrength: 256 });
    });
  });
});
