/**
 * The acceptance bar of the vendor's Node edition shape: the calls its public samples make, over real
 * sockets, through the entry point as a script gets it (`ipworksssl.wsserver`, `ipworksssl.Certificate`,
 * `ipworksssl.CertStoreTypes`), plain and over wss with a PFX from the TLS fixtures.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ipworksssl from '../../../compat/node-edition/index';
import * as entry from '../../../compat/node-edition/index';
import { PASSWORD, SUBJECTS, fixturePath } from '../../tls/fixtures';
import { closeClient, connect, eventually, makeServer, replies, stopAll } from './helpers';

const root = join(__dirname, '..', '..', '..', '..');

describe('node edition: the vendor samples’ calls', () => {
  afterEach(stopAll);

  it('gives the module as one default object too, with the same members as the named exports', () => {
    const named = Object.keys(entry).filter((k) => k !== 'default').sort();
    expect(Object.keys(ipworksssl).sort()).to.deep.equal(named);
    expect(ipworksssl.wsserver).to.equal(entry.wsserver);
    expect(ipworksssl.CertStoreTypes.cstPFXFile).to.equal(2);
  });

  for (const tls of [false, true]) {
    it(`serves an echo written as the samples write it (${tls ? 'wss with a PFX' : 'ws'}), pumped by while (true) await doEvents()`, async () => {
      const wsserver = makeServer();
      const seen: string[] = [];
      const chained = wsserver
        .on('Connected', (e) => {
          seen.push(`connected ${e.connectionId} ${wsserver.getConnections().item(e.connectionId).getRemoteHost()}`);
        })
        .on('DataIn', async (e) => {
          await wsserver.sendText(e.connectionId, `echo: ${e.text}`);
        })
        .on('Disconnected', (e) => seen.push(`disconnected ${e.connectionId} ${e.statusCode}`));
      expect(chained).to.equal(wsserver);
      if (tls) wsserver.setSSLCert(new ipworksssl.Certificate(ipworksssl.CertStoreTypes.cstPFXFile, fixturePath('server-rsa.pfx'), PASSWORD, '*'));
      await wsserver.startListening();
      const port = wsserver.getLocalPort();
      expect(port).to.be.greaterThan(0);

      let running = true;
      let rounds = 0;
      const loop = (async () => {
        while (running) {
          await wsserver.doEvents();
          rounds++;
        }
      })();
      try {
        const ws = await connect(port, { tls });
        const got = replies(ws, 2);
        ws.send('héllo');
        ws.send('again');
        expect(await got).to.deep.equal([
          ['echo: héllo', false],
          ['echo: again', false],
        ]);
        await closeClient(ws);
        await eventually(() => seen.length === 2, 'Disconnected');
        expect(seen).to.deep.equal(['connected 1 127.0.0.1', 'disconnected 1 1000']);
      } finally {
        running = false;
        await loop;
      }
      // The loop yielded to the event loop (it waited in doEvents) instead of spinning on settled promises.
      expect(rounds).to.be.greaterThan(0);
      if (tls) expect(wsserver.getSSLCert().getSubject()).to.equal(SUBJECTS.serverRsa);
    });
  }

  it('refuses a PFX whose password is wrong in setSSLCert with the reference code (271)', () => {
    const wsserver = makeServer();
    let caught: unknown;
    try {
      wsserver.setSSLCert(new ipworksssl.Certificate(ipworksssl.CertStoreTypes.cstPFXFile, fixturePath('server-rsa.pfx'), 'wrong', '*'));
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ipworksssl.WSServerError);
    expect((caught as { code: number }).code).to.equal(271);
  });

  describe('as a package entry point (needs dist/: npm test builds it)', () => {
    before(function () {
      if (!existsSync(join(root, 'dist', 'ipworks.cjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    });

    it('resolves wsserver-compat/ipworks by self-reference, with the same members for require and import, and its types', async () => {
      const pkg = createRequire(join(root, 'package.json'))('./package.json');
      const target = pkg.exports['./ipworks'];
      expect(Object.keys(target)).to.deep.equal(['types', 'import', 'require']);
      expect(existsSync(join(root, target.types)), target.types).to.equal(true);
      const required = createRequire(join(root, 'package.json'))('wsserver-compat/ipworks');
      const imported = await import(pathToFileURL(join(root, target.import)).href);
      expect(Object.keys(required).sort()).to.deep.equal(Object.keys(imported).sort());
      expect(typeof required.wsserver).to.equal('function');
      expect(new required.wsserver().getLocalPort()).to.equal(0);
      expect(imported.default.CertStoreTypes.cstPFXFile).to.equal(2);
    });
  });
});
