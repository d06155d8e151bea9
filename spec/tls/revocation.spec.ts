import { expect } from 'chai';
import { parseCrl } from '../../lib/tls/crl';
import { readLocalCrls, RevocationChecker, type Revocation } from '../../lib/tls/revocation';
import { fixtureText } from './fixtures';
import { makeCrlMaterial, type CrlMaterial } from './crl-material';

const URL = 'http://127.0.0.1:9/ca.crl';
const pemDer = (text: string) => Buffer.from(text.split('-----')[2]!.replace(/\s/g, ''), 'base64');

describe('tls/revocation', () => {
  let m: CrlMaterial;
  before(() => (m = makeCrlMaterial(URL)));
  after(() => m?.remove());

  /** A checker trusting the CRL CA whose fetches answer from `bodies` (by URL) and are counted. */
  function checker(bodies: Record<string, Buffer | Error>, options: { local?: string; now?: () => Date; trusted?: Buffer[] } = {}) {
    const fetched: Array<[string, number]> = [];
    const fetcher = async (url: string, timeoutMs: number) => {
      fetched.push([url, timeoutMs]);
      const body = bodies[url];
      if (!body) throw new Error('ECONNREFUSED');
      if (body instanceof Error) throw body;
      return body;
    };
    const local = options.local === undefined ? [] : readLocalCrls(options.local, (path) => m.bytes(path.slice(m.dir.length + 1)));
    const instance = new RevocationChecker(local, options.trusted ?? [m.der('crl-ca.crt')], fetcher, options.now);
    return { instance, fetched };
  }
  const chain = (name: string) => [m.der(`crl-client-${name}.crt`)];

  it('good and revoked, from the distribution point (PEM or DER), with the budget as time limit', async () => {
    const { instance, fetched } = checker({ [URL]: m.bytes('crl.der') });
    expect(await instance.check(chain('good'), true, 1234)).to.deep.equal({ state: 'good', source: `the CRL from ${URL}` });
    const revoked = (await instance.check(chain('revoked'), true, null)) as Extract<Revocation, { state: 'revoked' }>;
    expect([revoked.state, revoked.serial, revoked.entry.reason, revoked.source]).to.deep.equal(['revoked', '2001', 'keyCompromise', `the CRL from ${URL}`]);
    // Cached until nextUpdate: one fetch for both.
    expect(fetched).to.deep.equal([[URL, 1234]]);
    const pem = checker({ [URL]: m.bytes('crl.pem') });
    expect((await pem.instance.check(chain('revoked'), true, null)).state).to.equal('revoked');
    expect(pem.fetched).to.deep.equal([[URL, 15000]]);
  });

  it('fetches again once the cached CRL is past its nextUpdate', async () => {
    let now = new Date();
    const { instance, fetched } = checker({ [URL]: m.bytes('crl.der') }, { now: () => now });
    await instance.check(chain('good'), true, null);
    now = new Date(Date.now() + 31 * 24 * 3600 * 1000);
    const after = await instance.check(chain('good'), true, null);
    expect(fetched).to.have.length(2);
    // The fetched CRL is itself expired by then.
    expect(after).to.deep.equal({ state: 'unknown', reason: `${URL}: the CRL is not current: it expired at ${parseCrl(m.bytes('crl.der')).nextUpdate!.toISOString()}` });
  });

  it('handshakes waiting at once share one fetch', async () => {
    const { instance, fetched } = checker({ [URL]: m.bytes('crl.der') });
    const answers = await Promise.all([instance.check(chain('good'), true, null), instance.check(chain('revoked'), true, null)]);
    expect(answers.map((a) => a.state)).to.deep.equal(['good', 'revoked']);
    expect(fetched).to.have.length(1);
  });

  it('unknown, saying why: unreachable point, forged, expired or foreign CRL, none at all', async () => {
    const reason = async (bodies: Record<string, Buffer | Error>, name = 'good') => {
      const answer = await checker(bodies).instance.check(chain(name), true, null);
      expect(answer.state).to.equal('unknown');
      return (answer as Extract<Revocation, { state: 'unknown' }>).reason;
    };
    expect(await reason({})).to.equal(`${URL}: ECONNREFUSED`);
    expect(await reason({ [URL]: m.bytes('crl-forged.pem') })).to.equal(`${URL}: the CRL's signature does not verify with the issuer's key`);
    expect(await reason({ [URL]: m.bytes('crl-expired.pem') })).to.equal(`${URL}: the CRL is not current: it expired at 2020-01-02T00:00:00.000Z`);
    expect(await reason({ [URL]: m.bytes('crl-rsa.pem') })).to.equal(`${URL}: the CRL is from another issuer`);
    expect(await reason({ [URL]: Buffer.from('<html>') })).to.match(new RegExp(`^${URL.replace(/\./g, '\\.')}: not a CRL`));
    const nothing = await checker({}).instance.check([pemDer(fixtureText('client.crt'))], true, null);
    expect(nothing).to.deep.equal({ state: 'unknown', reason: "the issuer's certificate is not among the trusted ones, so no CRL can be checked" });
  });

  it("a stranger's chain is never believed: without a trusted issuer nothing is fetched", async () => {
    const { instance, fetched } = checker({ [URL]: m.bytes('crl.der') }, { trusted: [] });
    const withIssuer = [...chain('revoked'), m.der('crl-ca.crt')];
    expect((await instance.check(withIssuer, false, null)).state).to.equal('unknown');
    expect(fetched).to.deep.equal([]);
    // Once OpenSSL verified that chain, its issuer counts.
    expect((await instance.check(withIssuer, true, null)).state).to.equal('revoked');
  });

  it('SSLLocalCRLs answers first, as PEM text or files; an unusable one falls back on the point', async () => {
    const inline = checker({}, { local: m.text('crl.pem') });
    expect(await inline.instance.check(chain('revoked'), true, null)).to.deep.include({ state: 'revoked', source: 'SSLLocalCRLs CRL 1' });
    expect(inline.fetched).to.deep.equal([]);
    const file = checker({}, { local: `${m.path('crl-rsa.pem')};${m.path('crl.der')}` });
    expect(await file.instance.check(chain('good'), true, null)).to.deep.equal({ state: 'good', source: `the local CRL ${m.path('crl.der')}` });
    const expired = checker({ [URL]: m.bytes('crl.der') }, { local: m.path('crl-expired.pem') });
    expect((await expired.instance.check(chain('revoked'), true, null)).state).to.equal('revoked');
    expect(expired.fetched).to.have.length(1);
    const down = checker({}, { local: m.path('crl-expired.pem') });
    expect(await down.instance.check(chain('good'), true, null)).to.deep.equal({
      state: 'unknown',
      reason: `the local CRL ${m.path('crl-expired.pem')}: the CRL is not current: it expired at 2020-01-02T00:00:00.000Z; ${URL}: ECONNREFUSED`,
    });
  });

  it('readLocalCrls names what is not a CRL', () => {
    expect(readLocalCrls('', () => Buffer.alloc(0))).to.deep.equal([]);
    expect(() => readLocalCrls('/x.crl', () => Buffer.from('nope'))).to.throw('/x.crl: not a CRL');
    expect(() => readLocalCrls('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----', () => Buffer.alloc(0))).to.throw('CRL 1: not a CRL');
    expect(readLocalCrls(`${m.text('crl.pem')}${m.text('crl-rsa.pem')}`, () => Buffer.alloc(0)).map((l) => l.origin)).to.deep.equal(['SSLLocalCRLs CRL 1', 'SSLLocalCRLs CRL 2']);
  });
});
