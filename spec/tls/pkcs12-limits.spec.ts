/**
 * Hostile stores (issue 12): PFX files built here that ask for more work or memory than a certificate
 * store deserves — huge iteration counts, deep nesting, long flat sequences. Each one fails with 271
 * and a message naming the cap it is over, without doing the work it asks for (the counts are checked
 * before any derivation; nothing here asserts a time).
 */
import { expect } from 'chai';
import { WSServerError } from '../../lib/server/errors';
import { Asn1Limits, readElement } from '../../lib/tls/asn1';
import { openCertificateStore } from '../../lib/tls/cert-store';
import { Pkcs12Error, readPkcs12 } from '../../lib/tls/pkcs12';
import { Pkcs12Budget, Pkcs12LimitError, Pkcs12Limits } from '../../lib/tls/pkcs12-limits';
import {
  OIDS, bag, certBag, dataInfo, encryptedInfo, explicit0, int, macData, octet, oid, pbes2, pfx, pkcs12Pbe, seq, set, shroudedKeyBag, times, tlv,
} from './der-writer';

/** readPkcs12 fails with reason 'limit' and `text` in its message; so does the store, with 271. */
function expectOverCap(file: Buffer, text: string | RegExp, password = 'secret'): void {
  let caught: unknown;
  try {
    readPkcs12(file, password);
  } catch (error) {
    caught = error;
  }
  expect(caught, 'readPkcs12 must fail').to.be.instanceOf(Pkcs12Error);
  expect((caught as Pkcs12Error).reason).to.equal('limit');
  expect((caught as Pkcs12Error).message).to.match(typeof text === 'string' ? new RegExp(escape(text)) : text);
  let stored: unknown;
  try {
    openCertificateStore({ type: 3, store: file, password });
  } catch (error) {
    stored = error;
  }
  expect(stored).to.be.instanceOf(WSServerError);
  expect(stored).to.have.property('code', 271);
  expect((stored as Error).message).to.match(/^Cannot open certificate store\. the PFX file is over a cap of this reader: /);
  expect((stored as Error).message).to.match(typeof text === 'string' ? new RegExp(escape(text)) : text);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An AuthenticatedSafe holding one data safe with these bags. */
const withBags = (...bags: Buffer[]) => seq(dataInfo(seq(...bags)));

describe('tls/pkcs12-limits', () => {
  it('states caps above what Windows, Java and OpenSSL write and at .NET\'s loader defaults', () => {
    expect(Pkcs12Limits).to.deep.equal({
      maxIterations: 300_000,
      maxTotalIterations: 1_000_000,
      maxCertificates: 200,
      maxKeys: 200,
      maxElements: 100_000,
      maxBagDepth: 8,
    });
    expect(Object.isFrozen(Pkcs12Limits)).to.equal(true);
  });

  describe('Pkcs12Budget', () => {
    it('books derivations up to the caps and names the one that is passed', () => {
      const budget = new Pkcs12Budget();
      expect(budget.derivation('MAC', 300_000n)).to.equal(300_000);
      expect(() => budget.derivation('MAC', 300_001n)).to.throw(Pkcs12LimitError, 'the MAC iteration count 300001 is above the cap of 300000 (Pkcs12Limits.maxIterations)')
        .with.property('limit', 'maxIterations');
      budget.derivation('key', 300_000n, 2);
      expect(() => budget.derivation('key', 100_001n)).to.throw(Pkcs12LimitError, 'add up to 1000001 iterations, above the cap of 1000000 (Pkcs12Limits.maxTotalIterations)')
        .with.property('limit', 'maxTotalIterations');
    });

    it('counts the elements it walks, lazily', () => {
      const budget = new Pkcs12Budget();
      const list = seq(times(10, int(1)));
      expect(budget.fields(readElement(list), 2)).to.have.length(2);
      expect([...budget.each(readElement(list))]).to.have.length(10);
      const many = seq(times(Pkcs12Limits.maxElements + 1, Buffer.from([0x05, 0x00])));
      expect(() => [...budget.each(readElement(many))]).to.throw(Pkcs12LimitError, 'the file has more than 100000 ASN.1 elements to read (Pkcs12Limits.maxElements)');
    });

    it('counts certificates, keys and bag depth', () => {
      const budget = new Pkcs12Budget();
      for (let i = 0; i < 200; i++) budget.certificate();
      expect(() => budget.certificate()).to.throw(Pkcs12LimitError, 'more than 200 certificates (Pkcs12Limits.maxCertificates)');
      for (let i = 0; i < 200; i++) budget.key();
      expect(() => budget.key()).to.throw(Pkcs12LimitError, 'more than 200 private keys (Pkcs12Limits.maxKeys)');
      budget.bagDepth(8);
      expect(() => budget.bagDepth(9)).to.throw(Pkcs12LimitError, 'deeper than the cap of 8 levels (Pkcs12Limits.maxBagDepth)');
    });
  });

  describe('a hostile PFX corpus, each failing with 271', () => {
    describe('iteration counts', () => {
      it('2^40 MAC iterations in a 79-byte PFX', () => {
        const file = pfx(seq(), macData(2n ** 40n));
        expect(file.length).to.equal(79);
        expectOverCap(file, 'the MAC iteration count 1099511627776 is above the cap of 300000 (Pkcs12Limits.maxIterations)');
      });

      it('a MAC iteration count too long for any integer type (2^64)', () => {
        expectOverCap(pfx(seq(), macData(2n ** 64n)), 'the MAC iteration count 18446744073709551616 is above the cap');
      });

      it('one over the cap fails; at the cap the MAC is computed (and found wrong)', () => {
        expectOverCap(pfx(seq(), macData(Pkcs12Limits.maxIterations + 1)), 'the MAC iteration count 300001 is above the cap');
        expect(() => readPkcs12(pfx(seq(), macData(Pkcs12Limits.maxIterations)), 'secret')).to.throw(Pkcs12Error, 'wrong password')
          .with.property('reason', 'password');
      });

      it('2^31 PKCS#12 PBE iterations on an encrypted safe (no MAC)', () => {
        expectOverCap(pfx(seq(encryptedInfo(pkcs12Pbe(2n ** 31n)))), 'the contents PBE iteration count 2147483648 is above the cap');
      });

      it('10^12 PBKDF2 iterations on a shrouded key in a plain safe', () => {
        expectOverCap(pfx(withBags(shroudedKeyBag(pbes2(10n ** 12n)))), 'the private key PBKDF2 iteration count 1000000000000 is above the cap');
      });

      it('many derivations each under the cap: the total is refused before any of them runs', () => {
        // 250,000 for the MAC, then 250,000 per encrypted safe: the fourth safe passes 1,000,000.
        const safes = Array.from({ length: 4 }, () => encryptedInfo(pbes2(250_000)));
        expectOverCap(pfx(seq(...safes), macData(250_000)), 'add up to 1250000 iterations, above the cap of 1000000 (Pkcs12Limits.maxTotalIterations)');
      });

      it('an empty password counts its MAC twice (both password forms are tried)', () => {
        const file = pfx(seq(...Array.from({ length: 3 }, () => encryptedInfo(pbes2(150_000)))), macData(300_000));
        expectOverCap(file, 'add up to 1050000 iterations', '');
        // With a password, one form: 750,000 is within the caps, so the MAC is computed (and is wrong).
        expect(() => readPkcs12(file, 'secret')).to.throw(Pkcs12Error, 'wrong password').with.property('reason', 'password');
      });
    });

    describe('nesting', () => {
      it(`indefinite lengths nested deeper than ${Asn1Limits.maxDepth} levels`, () => {
        // PFX ::= SEQUENCE (indefinite) { version 3, then 40 SEQUENCEs of indefinite length inside one another }.
        const depth = Asn1Limits.maxDepth + 8;
        const nested = Buffer.concat([Buffer.alloc(depth * 2).fill(Buffer.from([0x30, 0x80])), Buffer.alloc(depth * 2)]);
        const file = Buffer.concat([Buffer.from([0x30, 0x80]), int(3), nested, Buffer.alloc(2)]);
        expectOverCap(file, `indefinite-length elements nest deeper than the cap of ${Asn1Limits.maxDepth} levels (Asn1Limits.maxDepth)`);
      });

      it('half a million levels of indefinite lengths (1 MiB) fail at the cap, not with a stack overflow', () => {
        const levels = 512 * 1024;
        const nested = Buffer.alloc(levels * 2);
        nested.fill(Buffer.from([0x30, 0x80]));
        expectOverCap(nested, '(Asn1Limits.maxDepth)');
      });

      it('constructed OCTET STRINGs nested inside one another', () => {
        let piece = octet('00');
        for (let i = 0; i < Asn1Limits.maxDepth + 1; i++) piece = tlv(0x24, piece);
        const file = seq(int(3), seq(oid(OIDS.data), explicit0(piece)));
        expectOverCap(file, `constructed strings nest deeper than the cap of ${Asn1Limits.maxDepth} levels (Asn1Limits.maxDepth)`);
      });

      it('safeContentsBags nested deeper than the bag depth cap', () => {
        let contents = seq();
        for (let i = 0; i < Pkcs12Limits.maxBagDepth; i++) contents = seq(bag(OIDS.safeContentsBag, contents));
        expectOverCap(pfx(seq(dataInfo(contents))), 'safe contents nest deeper than the cap of 8 levels (Pkcs12Limits.maxBagDepth)');
      });
    });

    describe('long flat sequences', () => {
      it('an AuthenticatedSafe of 30,000 empty safes', () => {
        const safe = dataInfo(seq());
        expectOverCap(pfx(seq(times(30_000, safe))), 'the file has more than 100000 ASN.1 elements to read (Pkcs12Limits.maxElements)');
      });

      it('a SafeContents of 60,000 secret bags', () => {
        const secret = bag(OIDS.secretBag, seq());
        expectOverCap(pfx(withBags(times(60_000, secret))), '(Pkcs12Limits.maxElements)');
      });

      it('a bag with 120,000 attributes', () => {
        const attribute = seq(oid(OIDS.friendlyName), set(tlv(0x1e, Buffer.from('0041', 'hex'))));
        const attributes = set(times(120_000, attribute));
        expectOverCap(pfx(withBags(certBag(Buffer.from('3000', 'hex'), attributes))), '(Pkcs12Limits.maxElements)');
      });

      it('201 certificates', () => {
        const cert = certBag(Buffer.from('3000', 'hex'));
        expectOverCap(pfx(withBags(times(201, cert))), 'more than 200 certificates (Pkcs12Limits.maxCertificates)');
      });

      it('201 private keys', () => {
        const key = shroudedKeyBag(pkcs12Pbe(1));
        expectOverCap(pfx(withBags(times(201, key))), 'more than 200 private keys (Pkcs12Limits.maxKeys)');
      });

      it('a flat 1.9 MiB DER is read lazily and refused on its first element', () => {
        // 1,000,000 NULLs in one SEQUENCE: walked one element at a time, so only the first few are read
        // (a list of a million elements used to cost 258 MiB of heap).
        const body = Buffer.alloc(2_000_000);
        for (let i = 0; i < body.length; i += 2) body[i] = 0x05;
        const file = tlv(0x30, body);
        expect(() => readPkcs12(file, '')).to.throw(Pkcs12Error, 'not a PKCS#12 (PFX) file: PFX version: expected tag 0x2, found 0x5');
        for (const type of [3, 99]) {
          expect(() => openCertificateStore({ type, store: file, password: '' })).to.throw(WSServerError).with.property('code', 271);
        }
      });
    });
  });
});
