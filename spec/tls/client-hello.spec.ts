import { expect } from 'chai';
import { createServer, type AddressInfo } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import {
  cipherSuiteNames,
  groupNames,
  highestVersion,
  parseClientHello,
  signatureAlgorithmNames,
  type ClientHello,
} from '../../lib/tls/client-hello';

/** The first bytes a node:tls client sends with these options, as a loopback server receives them. */
function captureClientHello(options: ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (parseClientHello(Buffer.concat(chunks)).status !== 'incomplete') {
          socket.destroy();
          server.close();
          resolve(Buffer.concat(chunks));
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false, ...options });
      client.on('error', () => undefined);
      setTimeout(() => reject(new Error('no ClientHello')), 3000).unref();
    });
  });
}

function complete(bytes: Buffer): ClientHello {
  const result = parseClientHello(bytes);
  if (result.status !== 'complete') throw new Error(`not complete: ${JSON.stringify(result)}`);
  return result.hello;
}

/** Splits the handshake message of a one-record hello into records of at most `size` bytes. */
function refragment(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    const header = Buffer.from([22, 3, 1, 0, 0]);
    header.writeUInt16BE(piece.length, 3);
    records.push(header, piece);
  }
  return Buffer.concat(records);
}

describe('tls/client-hello', () => {
  let tls13: Buffer;
  let tls12: Buffer;

  before(async () => {
    tls13 = await captureClientHello({
      servername: 'example.test',
      ALPNProtocols: ['http/1.1'],
      ciphers: 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384',
      sigalgs: 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:ed25519:RSA+SHA256',
      ecdhCurve: 'X25519:P-256',
    });
    tls12 = await captureClientHello({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:ECDHE-RSA-AES128-SHA' });
  });

  it('reads what a node:tls client offers: suites, signature schemes, groups, versions, SNI, ALPN', () => {
    const hello = complete(tls13);
    expect(cipherSuiteNames(hello)).to.equal(
      'TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    );
    expect(hello.cipherSuites).to.deep.equal([0x1301, 0xc02b, 0xc030]);
    expect(signatureAlgorithmNames(hello)).to.equal('ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256,ed25519,rsa_pkcs1_sha256');
    expect(groupNames(hello)).to.equal('x25519,secp256r1');
    expect(hello.keyShareGroups).to.deep.equal([0x001d]);
    expect(hello.supportedVersions).to.deep.equal([0x0304, 0x0303]);
    expect(hello.legacyVersion).to.equal(0x0303);
    expect(highestVersion(hello)).to.equal(0x0304);
    expect(hello.serverName).to.equal('example.test');
    expect(hello.alpn).to.deep.equal(['http/1.1']);
  });

  it('reads a TLS 1.2-only hello', () => {
    const hello = complete(tls12);
    expect(cipherSuiteNames(hello)).to.equal('TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA');
    expect(hello.cipherSuites).to.deep.equal([0x002f, 0xc013]);
    expect(hello.supportedVersions).to.deep.equal([]);
    expect(highestVersion(hello)).to.equal(0x0303);
    expect(hello.serverName).to.equal('');
  });

  it('needs the whole message: every shorter prefix is incomplete, with the bytes to wait for', () => {
    const whole = tls13.length;
    const expected: Array<[number, number]> = [
      [0, 5],
      [3, 5],
      [5, whole],
      [6, whole],
      [40, whole],
      [whole - 1, whole],
    ];
    for (const [length, needed] of expected) {
      expect(parseClientHello(tls13.subarray(0, length)), `prefix ${length}`).to.deep.equal({ status: 'incomplete', needed });
    }
  });

  it('joins a ClientHello fragmented over several records', () => {
    const split = refragment(tls13, 100);
    expect(split.length).to.be.greaterThan(tls13.length);
    expect(complete(split)).to.deep.equal(complete(tls13));
    expect(parseClientHello(split.subarray(0, split.length - 3))).to.deep.equal({ status: 'incomplete', needed: split.length });
    expect(complete(refragment(tls13, Math.ceil(tls13.length / 60)))).to.deep.equal(complete(tls13));
    expect(parseClientHello(refragment(tls13, 2))).to.deep.equal({ status: 'invalid', reason: 'a ClientHello cut into more than 64 records' });
  });

  it('drops GREASE values', () => {
    const hello = Buffer.from(tls12);
    // The first offered suite becomes 0x2A2A (RFC 8701).
    const suitesAt = 5 + 4 + 2 + 32 + 1 + hello[5 + 4 + 2 + 32]! + 2;
    hello.writeUInt16BE(0x2a2a, suitesAt);
    expect(cipherSuiteNames(complete(hello))).to.equal('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA');
  });

  it('drops the signalling suites from a real hello: a TLS_FALLBACK_SCSV written over its first suite', () => {
    const hello = Buffer.from(tls12);
    const suitesAt = 5 + 4 + 2 + 32 + 1 + hello[5 + 4 + 2 + 32]! + 2;
    hello.writeUInt16BE(0x5600, suitesAt);
    expect(complete(hello).cipherSuites).to.deep.equal([0xc013]);
    expect(cipherSuiteNames(complete(hello))).to.equal('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA');
  });

  it('reports no signalling value (SCSVs, GREASE) among the suites and no GREASE among the signature schemes', () => {
    const suites = [0x0a0a, 0x1301, 0x00ff, 0xc02f, 0x5600, 0xfafa, 0x002f];
    const schemes = [0x1a1a, 0x0804, 0x0403, 0xeaea];
    const suiteBytes = Buffer.alloc(2 + suites.length * 2);
    suiteBytes.writeUInt16BE(suites.length * 2, 0);
    suites.forEach((code, i) => suiteBytes.writeUInt16BE(code, 2 + i * 2));
    const schemeBytes = Buffer.alloc(4 + 2 + schemes.length * 2);
    schemeBytes.writeUInt16BE(13, 0);
    schemeBytes.writeUInt16BE(2 + schemes.length * 2, 2);
    schemeBytes.writeUInt16BE(schemes.length * 2, 4);
    schemes.forEach((code, i) => schemeBytes.writeUInt16BE(code, 6 + i * 2));
    const extensions = Buffer.concat([Buffer.from([0, schemeBytes.length]), schemeBytes]);
    const body = Buffer.concat([Buffer.from([0x03, 0x03]), Buffer.alloc(32), Buffer.from([0]), suiteBytes, Buffer.from([1, 0]), extensions]);
    const message = Buffer.concat([Buffer.from([1, 0, 0, body.length]), body]);
    const record = Buffer.concat([Buffer.from([22, 3, 1, 0, message.length]), message]);
    const hello = complete(record);
    expect(hello.cipherSuites).to.deep.equal([0x1301, 0xc02f, 0x002f]);
    expect(cipherSuiteNames(hello)).to.equal('TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA');
    expect(hello.signatureAlgorithms).to.deep.equal([0x0804, 0x0403]);
    expect(signatureAlgorithmNames(hello)).to.equal('rsa_pss_rsae_sha256,ecdsa_secp256r1_sha256');
    // A ClientHello built by hand, not parsed, reports none of them either.
    const byHand: ClientHello = { ...hello, cipherSuites: suites, signatureAlgorithms: schemes };
    expect(cipherSuiteNames(byHand)).to.equal('TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA');
    expect(signatureAlgorithmNames(byHand)).to.equal('rsa_pss_rsae_sha256,ecdsa_secp256r1_sha256');
    for (const name of cipherSuiteNames(byHand).split(',')) expect(name).to.not.match(/SCSV|^0x/);
  });

  it('names unknown suites and legacy signature pairs', () => {
    const body = Buffer.concat([
      Buffer.from([0x03, 0x03]),
      Buffer.alloc(32),
      Buffer.from([0]),
      Buffer.from([0, 4, 0xc0, 0x2f, 0xfe, 0xed]),
      Buffer.from([1, 0]),
      // extensions: signature_algorithms with sha256/dsa (0x0402), sha224/rsa (0x0301) and 0x0e0e
      Buffer.from([0, 12, 0, 13, 0, 8, 0, 6, 0x04, 0x02, 0x03, 0x01, 0x0e, 0x0e]),
    ]);
    const message = Buffer.concat([Buffer.from([1, 0, 0, body.length]), body]);
    const record = Buffer.concat([Buffer.from([22, 3, 1, 0, message.length]), message]);
    const hello = complete(record);
    expect(cipherSuiteNames(hello)).to.equal('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,0xFEED');
    expect(signatureAlgorithmNames(hello)).to.equal('dsa_sha256,rsa_sha224,0x0E0E');
  });

  it('accepts a TLS 1.2 hello without extensions', () => {
    const body = Buffer.concat([Buffer.from([0x03, 0x03]), Buffer.alloc(32), Buffer.from([0, 0, 2, 0x00, 0x2f, 1, 0])]);
    const record = Buffer.concat([Buffer.from([22, 3, 1, 0, body.length + 4, 1, 0, 0, body.length]), body]);
    const hello = complete(record);
    expect(hello.cipherSuites).to.deep.equal([0x002f]);
    expect(hello.signatureAlgorithms).to.deep.equal([]);
  });

  it('tells what it saw when the bytes are not a ClientHello', () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('GET / HTTP/1.1\r\n'), 'plain text (an HTTP request?) instead of a TLS ClientHello'],
      [Buffer.from('G'), 'plain text (an HTTP request?) instead of a TLS ClientHello'],
      [Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02]), 'an SSL 2.0 ClientHello (SSL 2 and 3 are not supported)'],
      [Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00]), 'a first byte of 0x17 instead of a TLS handshake record'],
      [Buffer.from([22, 2, 0, 0, 1, 1]), 'record version 2.0'],
      [Buffer.from([22, 3, 1, 0x40, 0x01]), 'a handshake record of 16385 bytes'],
      [Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0]), 'handshake message type 2 instead of ClientHello'],
      [Buffer.from([22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3]), 'the ClientHello is cut short in random'],
    ];
    for (const [bytes, reason] of cases) expect(parseClientHello(bytes)).to.deep.equal({ status: 'invalid', reason });
  });
});
