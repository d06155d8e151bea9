/**
 * The published shape of the package: the exports map resolves (require and import, by package
 * self-reference, as the contract asks), each entry has its declaration file, and dist/ids.json
 * carries the generated tables. `npm test` builds dist/ before mocha runs.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const requireFromCheckout = createRequire(join(root, 'package.json'));

describe('package', () => {
  it('is wsserver-compat for Node >= 20 with no runtime dependencies', () => {
    expect(pkg.name).to.equal('wsserver-compat');
    expect(pkg.engines).to.deep.equal({ node: '>=20' });
    expect(pkg.dependencies ?? {}).to.deep.equal({});
  });

  for (const entry of ['.', './compat', './ids']) {
    const name = entry === '.' ? 'wsserver-compat' : `wsserver-compat/${entry.slice(2)}`;
    it(`exports ${name} with types, import and require`, async () => {
      const target = pkg.exports[entry];
      expect(Object.keys(target)).to.deep.equal(['types', 'import', 'require']);
      expect(existsSync(join(root, target.types)), target.types).to.equal(true);
      const required = requireFromCheckout(name);
      const imported = await import(pathToFileURL(join(root, target.import)).href);
      expect(Object.keys(required).sort()).to.deep.equal(Object.keys(imported).sort());
      expect(Object.keys(required).length).to.be.greaterThan(3);
    });
  }

  it('gives each face its main symbols', () => {
    expect(typeof requireFromCheckout('wsserver-compat').WSServer).to.equal('function');
    const compat = requireFromCheckout('wsserver-compat/compat');
    expect(typeof compat.ipworksssl_wsserver_open).to.equal('function');
    expect(typeof compat.wsserver_do_doevents).to.equal('function');
    expect(typeof compat.IPWorksSSL_WSServer).to.equal('function');
    expect(requireFromCheckout('wsserver-compat/ids').PropertyId.LocalPort).to.equal(24);
  });

  it('ships the ID tables as dist/ids.json', () => {
    const ids = JSON.parse(readFileSync(join(root, 'dist', 'ids.json'), 'utf8'));
    expect(ids.version).to.equal(pkg.version);
    expect(ids.properties.find((p: { id: number }) => p.id === 24).name).to.equal('LocalPort');
    expect(ids.events.map((e: { id: number }) => e.id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ids.errors.find((e: { code: number }) => e.code === 126).message).to.equal('Invalid ConnectionId.');
  });
});
