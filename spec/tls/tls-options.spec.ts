import { expect } from 'chai';
import { constants } from 'node:crypto';
import { ErrorCode } from '../../lib/generated/api';
import { WSServerError } from '../../lib/server/errors';
import { Settings, type SettingValue } from '../../lib/server/settings';
import { tlsSettings, type FileAccess } from '../../lib/tls/tls-options';
import { fixturePath, fixtureText, FIXTURES } from './fixtures';

const TLS13_DEFAULTS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function build(values: Record<string, SettingValue> = {}, authenticate = false, files?: FileAccess) {
  return tlsSettings(new Settings(values), authenticate, files);
}

function refusal(values: Record<string, SettingValue>, authenticate = false): WSServerError {
  try {
    build(values, authenticate);
  } catch (error) {
    expect(error).to.be.instanceOf(WSServerError);
    expect((error as WSServerError).code).to.equal(ErrorCode.InvalidConfigValue);
    return error as WSServerError;
  }
  throw new Error('accepted');
}

/** A FileAccess over a fixed set of files. */
function fakeFiles(files: Record<string, string>, directories: Record<string, string[]> = {}): FileAccess {
  return {
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT ${path}`);
      return Buffer.from(files[path]!);
    },
    isFile: (path) => path in files,
    listDirectory: (path) => {
      if (!(path in directories)) throw new Error(`ENOENT ${path}`);
      return directories[path]!;
    },
  };
}

describe('tls/tls-options', () => {
  it('defaults: TLS 1.0–1.2 (4032), OpenSSL DEFAULT ciphers, no tickets, no client certificates', () => {
    const result = build();
    expect(result.options).to.deep.equal({
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.2',
      ciphers: 'DEFAULT',
      honorCipherOrder: false,
      requestCert: false,
      rejectUnauthorized: false,
      secureOptions: constants.SSL_OP_NO_TICKET,
    });
    expect([result.securityFlags, result.includeCertChain, result.keyLogFile, result.logPackets, result.groups, result.notes]).to.deep.equal([0, false, '', false, null, []]);
  });

  describe('SSLEnabledProtocols', () => {
    it('TLS 1.3 when its bit is set, with its suites in the cipher list', () => {
      const result = build({ SSLEnabledProtocols: 12288 + 3072 });
      expect([result.options.minVersion, result.options.maxVersion]).to.deep.equal(['TLSv1.2', 'TLSv1.3']);
      expect(result.options.ciphers).to.equal(`${TLS13_DEFAULTS}:DEFAULT`);
      expect(build({ SSLEnabledProtocols: 0x2000 }).options.minVersion).to.equal('TLSv1.3');
    });

    it('switches off a version left out between two enabled ones', () => {
      const result = build({ SSLEnabledProtocols: 192 + 3072 });
      expect([result.options.minVersion, result.options.maxVersion]).to.deep.equal(['TLSv1', 'TLSv1.2']);
      expect(result.options.secureOptions! & constants.SSL_OP_NO_TLSv1_1).to.equal(constants.SSL_OP_NO_TLSv1_1);
      expect(result.options.secureOptions! & constants.SSL_OP_NO_TLSv1).to.equal(0);
    });

    it('refuses a mask without any TLS version, naming SSL 2/3', () => {
      expect(refusal({ SSLEnabledProtocols: 48 }).message).to.equal(
        'Invalid configuration setting value for SSLEnabledProtocols: 48 enables no TLS version (TLS1 192, TLS1.1 768, TLS1.2 3072, TLS1.3 12288). SSL 2 and SSL 3 cannot be enabled here.',
      );
      expect(refusal({ SSLEnabledProtocols: 0 }).message).to.contain('0 enables no TLS version');
    });
  });

  describe('SSLEnabledCipherSuites', () => {
    it('maps IANA names to OpenSSL names, TLS 1.3 suites first, in the given order of preference', () => {
      const result = build({ SSLEnabledProtocols: 15360, SSLEnabledCipherSuites: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; TLS_AES_256_GCM_SHA384;TLS_RSA_WITH_AES_256_CBC_SHA' });
      expect(result.options.ciphers).to.equal('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA');
      expect(result.options.honorCipherOrder).to.equal(true);
    });

    it('keeps the TLS 1.3 defaults when the list names no TLS 1.3 suite', () => {
      expect(build({ SSLEnabledProtocols: 15360, SSLEnabledCipherSuites: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' }).options.ciphers).to.equal(`${TLS13_DEFAULTS}:ECDHE-RSA-AES128-GCM-SHA256`);
    });

    it('a list of TLS 1.3 suites only allows TLS 1.3 only', () => {
      const result = build({ SSLEnabledProtocols: 15360, SSLEnabledCipherSuites: 'TLS_CHACHA20_POLY1305_SHA256' });
      expect([result.options.minVersion, result.options.ciphers]).to.deep.equal(['TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256']);
      expect(refusal({ SSLEnabledCipherSuites: 'TLS_CHACHA20_POLY1305_SHA256' }).message).to.contain('SSLEnabledProtocols does not enable TLS 1.3');
    });

    it('accepts any case, OpenSSL names and the reference’s "(Not Recommended)" remark', () => {
      const result = build({ SSLEnabledCipherSuites: 'tls_ecdhe_rsa_with_aes_256_gcm_sha384;AES128-SHA;TLS_DH_RSA_WITH_AES_128_GCM_SHA256 (Not Recommended)' });
      expect(result.options.ciphers).to.equal('ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA');
      expect(result.notes).to.deep.equal(['SSLEnabledCipherSuites: left out as not offered by this OpenSSL: TLS_DH_RSA_WITH_AES_128_GCM_SHA256.']);
    });

    it('refuses unknown names, and lists nothing usable', () => {
      expect(refusal({ SSLEnabledCipherSuites: 'TLS_FOO;TLS_AES_128_GCM_SHA256;BAR' }).message).to.equal('Invalid configuration setting value for SSLEnabledCipherSuites: unknown cipher suites TLS_FOO, BAR.');
      expect(refusal({ SSLEnabledCipherSuites: 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA' }).message).to.equal(
        'Invalid configuration setting value for SSLEnabledCipherSuites: none of the suites can be used here (TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA).',
      );
    });

    it('carries @SECLEVEL from OpenSSLCipherList into an explicit list', () => {
      expect(build({ SSLEnabledCipherSuites: 'TLS_RSA_WITH_AES_128_CBC_SHA', OpenSSLCipherList: 'DEFAULT:@SECLEVEL=0' }).options.ciphers).to.equal('AES128-SHA:@SECLEVEL=0');
    });
  });

  describe('OpenSSLCipherList and SSLCipherStrength', () => {
    it('passes OpenSSLCipherList through when all suites are enabled', () => {
      expect(build({ OpenSSLCipherList: 'HIGH:!aNULL' }).options.ciphers).to.equal('HIGH:!aNULL');
    });

    it('refuses a cipher list OpenSSL cannot match', () => {
      expect(refusal({ OpenSSLCipherList: 'NO-SUCH-CIPHER' }).message).to.match(/^Invalid configuration setting value for SSLEnabledCipherSuites \/ OpenSSLCipherList: OpenSSL refuses the value \(.*no cipher match/);
    });

    it('leaves out weaker ciphers: OpenSSL exclusions for "*", filtering for a list', () => {
      expect(build({ SSLCipherStrength: 256, SSLEnabledProtocols: 15360 }).options.ciphers).to.equal(
        'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:DEFAULT:!DES:!RC4:!AES128:!CAMELLIA128:!ARIA128:!SEED:!IDEA:!3DES',
      );
      const result = build({ SSLCipherStrength: 256, SSLEnabledCipherSuites: 'TLS_RSA_WITH_AES_128_CBC_SHA;TLS_RSA_WITH_AES_256_CBC_SHA' });
      expect(result.options.ciphers).to.equal('AES256-SHA');
      expect(result.notes[0]).to.equal('SSLEnabledCipherSuites: left out as not offered by this OpenSSL or weaker than SSLCipherStrength 256: TLS_RSA_WITH_AES_128_CBC_SHA.');
    });
  });

  describe('signature algorithms and groups', () => {
    it('keep OpenSSL defaults while the settings have theirs', () => {
      const options = build().options;
      expect(options.sigalgs).to.equal(undefined);
      expect(options.ecdhCurve).to.equal(undefined);
    });

    it('map the reference names to a sigalgs list (TLS 1.3 names first)', () => {
      const options = build({ TLS12SignatureAlgorithms: 'sha256-rsa,sha384-ecdsa', TLS13SignatureAlgorithms: 'ecdsa_secp256r1_sha256,rsa_pss_sha256,ed25519' }).options;
      expect(options.sigalgs).to.equal('ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:ed25519:RSA+SHA256:ECDSA+SHA384');
    });

    it('map group names to an ecdhCurve list (the union of both settings)', () => {
      const result = build({ TLS13SupportedGroups: 'ecdhe_x25519,ecdhe_secp384r1' });
      expect(result.options.ecdhCurve).to.equal('X25519:P-384:P-256:P-521');
      expect(result.groups).to.deep.equal([0x1d, 0x18, 0x17, 0x19]);
      expect(build({ TLS12SupportedGroups: 'ecdhe_secp384r1', TLS13SupportedGroups: 'ffdhe_2048' }).options.ecdhCurve).to.equal('ffdhe2048:P-384');
    });

    it('refuse unknown names with the setting at fault', () => {
      expect(refusal({ TLS12SignatureAlgorithms: 'sha256-rsa,md5-rsa' }).message).to.equal(
        'Invalid configuration setting value for TLS12SignatureAlgorithms: unknown signature algorithm md5-rsa (use hash-signature pairs such as sha256-rsa).',
      );
      expect(refusal({ TLS13SignatureAlgorithms: 'rsa_pss_md5' }).message).to.equal('Invalid configuration setting value for TLS13SignatureAlgorithms: unknown signature algorithm rsa_pss_md5.');
      expect(refusal({ TLS12SupportedGroups: 'ecdhe_secp999r1' }).message).to.equal('Invalid configuration setting value for TLS12SupportedGroups: unknown group ecdhe_secp999r1.');
      expect(refusal({ TLS13KeyShareGroups: 'ecdhe_x25519,brainpool' }).message).to.equal('Invalid configuration setting value for TLS13KeyShareGroups: unknown group brainpool.');
    });
  });

  describe('CAs for client certificates', () => {
    it('are not read unless clients are asked for certificates', () => {
      expect(build({ SSLCACerts: fixtureText('ca.crt') }).options.ca).to.equal(undefined);
    });

    it('come from SSLCACerts, OpenSSLCAFile and OpenSSLCADir together', () => {
      const files = fakeFiles({ '/ca/a.pem': 'A -----BEGIN CERTIFICATE-----', '/ca/readme': 'text', '/one.pem': '-----BEGIN CERTIFICATE----- one' }, { '/ca': ['/ca/a.pem', '/ca/readme', '/ca/sub'] });
      const result = build({ SSLCACerts: fixtureText('ca.crt'), OpenSSLCAFile: '/one.pem', OpenSSLCADir: '/ca' }, true, files);
      expect(result.options.ca).to.deep.equal([fixtureText('ca.crt'), '-----BEGIN CERTIFICATE----- one', 'A -----BEGIN CERTIFICATE-----']);
      expect(result.options.requestCert).to.equal(true);
    });

    it('else the first existing file of SSLCACertFilePaths', () => {
      const files = fakeFiles({ '/b.pem': '-----BEGIN CERTIFICATE----- b', '/c.pem': '-----BEGIN CERTIFICATE----- c' });
      const result = tlsSettings(new Settings({ SSLCACertFilePaths: '/a.pem;/b.pem;/c.pem' }), true, files);
      expect(result.options.ca).to.deep.equal(['-----BEGIN CERTIFICATE----- b']);
    });

    it("never SSLCACertFilePaths' default (the system's public roots), unless the application sets it", () => {
      const bundle = '/etc/ssl/certs/ca-certificates.crt';
      const files = fakeFiles({ [bundle]: fixtureText('ca.crt') });
      const left = tlsSettings(new Settings(), true, files);
      // An empty list: without one node would fall back on its own bundled roots.
      expect(left.options.ca).to.deep.equal([]);
      expect(left.caCertificates).to.deep.equal([]);
      expect(left.untrusted).to.equal('no CA certificate is configured for client certificates (SSLCACerts, OpenSSLCAFile, OpenSSLCADir, or SSLCACertFilePaths set explicitly)');
      expect(left.warnings).to.deep.equal([`SSLAuthenticateClients is on but ${left.untrusted}: every client certificate is reported untrusted and refused unless SSLClientAuthentication accepts it.`]);
      const settings = new Settings();
      settings.put('SSLCACertFilePaths', settings.str('SSLCACertFilePaths'));
      const chosen = tlsSettings(settings, true, files);
      expect([chosen.options.ca, chosen.untrusted, chosen.warnings]).to.deep.equal([[fixtureText('ca.crt')], null, []]);
      expect(chosen.caCertificates.map((d) => d.toString('base64'))).to.deep.equal([fixtureText('ca.crt').split('-----')[2]!.replace(/\s/g, '')]);
    });

    it('a reader without isAssigned counts a value other than the default as set', () => {
      const files = fakeFiles({ '/mine.pem': fixtureText('ca.crt'), '/etc/ssl/certs/ca-certificates.crt': fixtureText('other-ca.crt') });
      const reader = (values: Record<string, string>) => {
        const settings = new Settings(values);
        return { str: (n: string) => settings.str(n), int: (n: string) => settings.int(n), bool: (n: string) => settings.bool(n) };
      };
      expect(tlsSettings(reader({ SSLCACertFilePaths: '/mine.pem' }), true, files).options.ca).to.deep.equal([fixtureText('ca.crt')]);
      expect(tlsSettings(reader({}), true, files).options.ca).to.deep.equal([]);
    });

    it('notes when there are none, and refuses unreadable or empty sources', () => {
      const none = tlsSettings(new Settings({ SSLCACertFilePaths: '/nope.pem' }), true, fakeFiles({}));
      expect(none.options.ca).to.deep.equal([]);
      expect(none.notes).to.deep.equal(['None of the files SSLCACertFilePaths lists exists.']);
      expect(none.untrusted).to.contain('no CA certificate is configured');
      expect(refusal({ SSLCACerts: 'not pem' }, true).message).to.equal('Invalid configuration setting value for SSLCACerts: no PEM certificate found.');
      expect(refusal({ OpenSSLCAFile: `${FIXTURES}/nope.pem` }, true).message).to.match(/^Invalid configuration setting value for OpenSSLCAFile: cannot read .*nope\.pem/);
      expect(refusal({ OpenSSLCAFile: fixturePath('server-rsa.key') }, true).message).to.match(/server-rsa\.key holds no PEM certificate\.$/);
      expect(refusal({ OpenSSLCADir: `${FIXTURES}/nope` }, true).message).to.match(/^Invalid configuration setting value for OpenSSLCADir: cannot list /);
    });

    it('reads a real CA file and directory', () => {
      const result = build({ OpenSSLCAFile: fixturePath('ca.crt') }, true);
      expect(result.options.ca).to.deep.equal([fixtureText('ca.crt')]);
      expect((build({ OpenSSLCADir: FIXTURES }, true).options.ca as string[]).length).to.be.greaterThan(3);
    });
  });

  it('ReuseSSLSession and SSLEnableRenegotiation set the OpenSSL options', () => {
    expect(build({ ReuseSSLSession: true }).options.secureOptions).to.equal(undefined);
    expect(build({ SSLEnableRenegotiation: false }).options.secureOptions).to.equal(constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_RENEGOTIATION);
  });

  it('passes the layer settings through and notes what is accepted without effect', () => {
    const result = build({ SSLSecurityFlags: 0x80000011, SSLIncludeCertChain: true, SSLKeyLogFile: '/tmp/keys', LogSSLPackets: true, SSLCheckCRL: 1, SSLCheckOCSP: 2, OpenSSLPrngSeedData: 'x', SSLLocalCRLs: '/some.crl' });
    expect([result.securityFlags, result.includeCertChain, result.keyLogFile, result.logPackets, result.checkCrl, result.localCrls]).to.deep.equal([0x80000011, true, '/tmp/keys', true, 1, []]);
    expect(result.notes).to.deep.equal([
      'SSLLocalCRLs is not used: it serves SSLCheckCRL 1 or 2 with SSLAuthenticateClients on.',
      'SSLCheckCRL applies to client certificates, and SSLAuthenticateClients is off: no certificate is checked.',
      'SSLCheckOCSP is accepted but not performed: OCSP is not available in this edition (SSLCheckCRL is).',
      'OpenSSLPrngSeedData is ignored: OpenSSL seeds itself from the system.',
    ]);
  });

  describe('SSLCheckCRL and SSLLocalCRLs', () => {
    const ca = { SSLCACerts: fixtureText('ca.crt') };

    it('SSLLocalCRLs is read only for a check of client certificates, and refused with 608 when it holds no CRL', () => {
      const files = fakeFiles({ '/not-a.crl': 'hello' });
      expect(tlsSettings(new Settings({ ...ca, SSLLocalCRLs: '/not-a.crl' }), true, files).localCrls).to.deep.equal([]);
      expect(tlsSettings(new Settings({ ...ca, SSLLocalCRLs: '/not-a.crl', SSLCheckCRL: 1 }), false, files).localCrls).to.deep.equal([]);
      expect(() => tlsSettings(new Settings({ ...ca, SSLLocalCRLs: '/not-a.crl', SSLCheckCRL: 1 }), true, files))
        .to.throw(WSServerError, 'Invalid configuration setting value for SSLLocalCRLs: /not-a.crl: not a CRL (truncated element).')
        .with.property('code', ErrorCode.InvalidConfigValue);
      expect(() => tlsSettings(new Settings({ ...ca, SSLLocalCRLs: '/gone.crl', SSLCheckCRL: 2 }), true, files)).to.throw(WSServerError, /^Invalid configuration setting value for SSLLocalCRLs: cannot read \/gone\.crl: ENOENT/);
    });
  });
});
