import { expect } from 'chai';
import {
  CIPHER_SUITES,
  cipherStrength,
  groupBits,
  groupBySetting,
  groupName,
  isGrease,
  isSignallingSuite,
  isTls13Suite,
  signatureSchemeName,
  suiteByCode,
  suiteByName,
  suiteParts,
  tls12SignatureAlgorithm,
  tls13SignatureAlgorithm,
} from '../../lib/tls/registry';

describe('tls/registry', () => {
  it('has every suite once, by code and by either name', () => {
    expect(new Set(CIPHER_SUITES.map((s) => s.code)).size).to.equal(CIPHER_SUITES.length);
    expect(new Set(CIPHER_SUITES.map((s) => s.name)).size).to.equal(CIPHER_SUITES.length);
    expect(suiteByCode(0xc02f)?.name).to.equal('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(suiteByName('ecdhe-rsa-aes128-gcm-sha256')?.code).to.equal(0xc02f);
    expect(suiteByName('TLS_DH_ANON_WITH_AES_128_CBC_SHA')?.openssl).to.equal('ADH-AES128-SHA');
    expect(suiteByName('TLS_NOPE')).to.equal(undefined);
    expect(isTls13Suite(suiteByName('TLS_AES_128_GCM_SHA256')!)).to.equal(true);
    expect(isTls13Suite(suiteByName('AES128-SHA')!)).to.equal(false);
  });

  it('suiteParts reads key exchange, authentication, cipher and strength from the name', () => {
    expect(suiteParts('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384')).to.deep.equal({ keyExchange: 'ECDHE', authentication: 'RSA', cipher: 'AES_256_GCM', strength: 256 });
    expect(suiteParts('TLS_RSA_WITH_3DES_EDE_CBC_SHA')).to.deep.equal({ keyExchange: 'RSA', authentication: 'RSA', cipher: '3DES_EDE_CBC', strength: 168 });
    expect(suiteParts('TLS_DH_anon_WITH_AES_128_CBC_SHA')).to.deep.equal({ keyExchange: 'DH', authentication: 'ANON', cipher: 'AES_128_CBC', strength: 128 });
    expect(suiteParts('TLS_CHACHA20_POLY1305_SHA256')).to.deep.equal({ keyExchange: 'ECDHE', authentication: '', cipher: 'CHACHA20_POLY1305', strength: 256 });
    expect(suiteParts('TLS_RSA_WITH_RC4_128_MD5').cipher).to.equal('RC4_128');
    expect([cipherStrength('DES_CBC'), cipherStrength('AES_128_CCM_8'), cipherStrength('NULL')]).to.deep.equal([56, 128, 0]);
  });

  it('names signature schemes, legacy pairs and unknown codes', () => {
    expect([0x0804, 0x0403, 0x0807, 0x0201, 0x0402, 0x0302, 0xfe00].map(signatureSchemeName)).to.deep.equal([
      'rsa_pss_rsae_sha256',
      'ecdsa_secp256r1_sha256',
      'ed25519',
      'rsa_pkcs1_sha1',
      'dsa_sha256',
      'dsa_sha224',
      '0xFE00',
    ]);
  });

  it('names groups and maps the reference group names to OpenSSL', () => {
    expect([groupName(0x1d), groupName(0x17), groupName(0x100), groupName(0x9999)]).to.deep.equal(['x25519', 'secp256r1', 'ffdhe2048', '0x9999']);
    expect([groupBits(0x17), groupBits(0x1d), groupBits(0x4242)]).to.deep.equal([256, 253, 0]);
    expect(groupBySetting(' ECDHE_secp521r1 ')).to.deep.equal({ openssl: 'P-521', code: 0x19 });
    expect(groupBySetting('ffdhe_8192')).to.deep.equal({ openssl: 'ffdhe8192', code: 0x104 });
    expect(groupBySetting('secp256r1')).to.equal(undefined);
  });

  it('recognises GREASE values only', () => {
    expect([0x0a0a, 0x1a1a, 0xaaaa, 0xfafa].every(isGrease)).to.equal(true);
    expect([0x0a1a, 0x1301, 0x00ff, 0x0a0b].some(isGrease)).to.equal(false);
  });

  it('recognises the signalling suite values: both SCSVs and GREASE, no real suite', () => {
    expect([0x00ff, 0x5600, 0x0a0a, 0xfafa].every(isSignallingSuite)).to.equal(true);
    expect(CIPHER_SUITES.filter((s) => isSignallingSuite(s.code)).map((s) => s.name)).to.deep.equal(['TLS_EMPTY_RENEGOTIATION_INFO_SCSV', 'TLS_FALLBACK_SCSV']);
    expect([0x1301, 0xc02f, 0x002f, 0x00fe, 0x5601].some(isSignallingSuite)).to.equal(false);
  });

  it('maps the signature algorithm settings to OpenSSL names', () => {
    expect(tls12SignatureAlgorithm(' SHA384-ECDSA ')).to.equal('ECDSA+SHA384');
    expect(tls12SignatureAlgorithm('sha1-dsa')).to.equal('DSA+SHA1');
    expect(tls12SignatureAlgorithm('sha256-ed25519')).to.equal(undefined);
    expect(tls13SignatureAlgorithm('rsa_pss_sha384')).to.equal('rsa_pss_rsae_sha384');
    expect(tls13SignatureAlgorithm('ECDSA_SECP384R1_SHA384')).to.equal('ecdsa_secp384r1_sha384');
    expect(tls13SignatureAlgorithm('rsa_pkcs1_md5')).to.equal(undefined);
  });
});
