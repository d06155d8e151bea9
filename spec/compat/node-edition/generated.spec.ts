/**
 * The generated names, row by row from tools/api/wsserver.json (read here, not through the generator):
 * every property has its getter/setter where the naming rule puts it, every method its async method,
 * every event an accepted name with the engine's fields, every enum its plural object; and the
 * checked-in file is what tools/gen-node-edition.mjs makes of the description.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as entry from '../../../compat/node-edition/index';
import { Certificate, NODE_EDITION, WSConnection, WSConnectionMap, wsserver } from '../../../compat/node-edition/index';
import { EVENTS } from '../../../lib/generated/api';
import { makeServer, stopAll } from './helpers';

function findRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'tools', 'gen-node-edition.mjs'))) return dir;
  }
  throw new Error('tools/gen-node-edition.mjs not found above ' + __dirname);
}

const ROOT = findRoot();
const API = JSON.parse(readFileSync(join(ROOT, 'tools', 'api', 'wsserver.json'), 'utf8'));

interface Row {
  id: number;
  name: string;
  type: string;
  access: 'rw' | 'ro' | 'wo';
  perConnection: boolean;
  enumName?: string;
  values?: Array<{ name: string; value: number }>;
}

const methodsOf = (proto: object) => (name: string) => typeof (proto as Record<string, unknown>)[name];

describe('node edition: generated names for every row of tools/api/wsserver.json', () => {
  afterEach(stopAll);

  describe('properties', () => {
    for (const p of API.properties as Row[]) {
      const connection = p.name.startsWith('WSConnection');
      const certificate = p.name.startsWith('SSLCert');
      const field = connection ? p.name.slice('WSConnection'.length) : certificate ? p.name.slice('SSLCert'.length) : p.name;
      const where = connection ? (p.perConnection ? 'getConnections().item(id)' : 'getConnections()') : certificate ? 'Certificate' : 'wsserver';
      it(`${p.name} (${p.id}, ${p.access}) is on ${where}`, () => {
        if (connection && !p.perConnection) {
          const member = field.charAt(0).toLowerCase() + field.slice(1);
          expect(Object.getOwnPropertyDescriptor(WSConnectionMap.prototype, member)?.get, member).to.be.a('function');
          return;
        }
        const has = methodsOf(connection ? WSConnection.prototype : certificate ? Certificate.prototype : wsserver.prototype);
        expect(has(`get${field}`), `get${field}`).to.equal(p.access === 'wo' ? 'undefined' : 'function');
        expect(has(`set${field}`), `set${field}`).to.equal(p.access === 'ro' ? 'undefined' : 'function');
        if (certificate) expect([typeof wsserver.prototype.getSSLCert, typeof wsserver.prototype.setSSLCert]).to.deep.equal(['function', 'function']);
      });
    }

    // A written value reads back (Listening is left out: setting it starts listening).
    const sample: Record<string, unknown> = { integer: 7, boolean: true, string: 'abc', binary: 'a\u00ffb' };
    for (const p of (API.properties as Row[]).filter((x) => x.access === 'rw' && !x.perConnection && x.name !== 'Listening')) {
      it(`${p.name} (${p.id}) reads back what was written through its methods`, () => {
        const certificate = p.name.startsWith('SSLCert');
        const target = (certificate ? new Certificate() : makeServer()) as unknown as Record<string, (v?: unknown) => unknown>;
        const field = certificate ? p.name.slice('SSLCert'.length) : p.name;
        const value = p.values ? p.values[p.values.length - 1]!.value : sample[p.type];
        target[`set${field}`]!(value);
        expect(target[`get${field}`]!()).to.equal(value);
      });
    }
  });

  describe('methods', () => {
    for (const m of API.methods as Array<{ name: string; params: unknown[]; async: boolean }>) {
      const name = m.name.charAt(0).toLowerCase() + m.name.slice(1);
      it(`${m.name} is ${m.async ? 'await ' : ''}${name}(${m.params.length} parameters)`, () => {
        const method = (wsserver.prototype as unknown as Record<string, unknown>)[name];
        expect(method).to.be.a('function');
        expect((method as (...a: unknown[]) => unknown).length).to.equal(m.params.length);
      });
    }

    it('returns promises from the async methods and a string from config', async () => {
      const s = makeServer();
      expect(s.config('BufferMessage')).to.equal('False');
      const stopped = s.stopListening();
      expect(stopped).to.be.instanceOf(Promise);
      await stopped;
    });
  });

  describe('events', () => {
    for (const e of API.events as Array<{ id: number; name: string; params: Array<{ pascal: string; bufferTwin?: string }> }>) {
      it(`${e.name} (${e.id}) is accepted by on() and carries the engine's fields`, () => {
        const s = makeServer();
        expect(s.on(e.name as 'DataIn', () => undefined)).to.equal(s);
        expect(s.server.listenerCount(e.name)).to.equal(1);
        const engineFields = EVENTS.find((x) => x.id === e.id)!.params.flatMap((p) => (p.modernBufferTwin ? [p.modern, p.modernBufferTwin] : [p.modern]));
        const listed = NODE_EDITION.events.find((x) => x.id === e.id)!;
        expect(listed.name).to.equal(e.name);
        expect(listed.fields).to.deep.equal(engineFields);
        expect(listed.fields).to.have.length(e.params.length + e.params.filter((p) => p.bufferTwin).length);
      });
    }
  });

  describe('enums', () => {
    for (const p of (API.properties as Row[]).filter((x) => x.enumName)) {
      it(`${p.enumName}s holds the values of ${p.name}`, () => {
        const object = (entry as unknown as Record<string, unknown>)[`${p.enumName}s`];
        expect(object).to.deep.equal(Object.fromEntries(p.values!.map((v) => [v.name, v.value])));
        expect(Object.isFrozen(object)).to.equal(true);
      });
    }
  });

  describe('NODE_EDITION table', () => {
    it('has one row per property, method and event, and marks as sample exactly the names the vendor samples show', () => {
      expect(NODE_EDITION.properties.map((p) => p.id)).to.deep.equal((API.properties as Row[]).map((p) => p.id).sort((a, b) => a - b));
      expect(NODE_EDITION.methods).to.have.length(API.methods.length);
      expect(NODE_EDITION.events).to.have.length(API.events.length);
      const samples = [
        ...NODE_EDITION.properties.filter((p) => p.origin === 'sample').map((p) => p.name),
        ...NODE_EDITION.methods.filter((m) => m.origin === 'sample').map((m) => m.method),
        ...NODE_EDITION.events.filter((e) => e.origin === 'sample').map((e) => e.name),
        ...NODE_EDITION.enums.filter((e) => e.origin === 'sample').map((e) => e.name),
      ];
      expect(samples).to.deep.equal([
        'WSConnectionRemoteHost',
        'LocalHost',
        'LocalPort',
        'config',
        'doEvents',
        'sendText',
        'shutdown',
        'startListening',
        'Connected',
        'DataIn',
        'SSLClientAuthentication',
        'CertStoreTypes',
      ]);
    });

    it('is listed in docs/API.md, every derived name marked', () => {
      const docs = readFileSync(join(ROOT, 'docs', 'API.md'), 'utf8');
      const section = docs.slice(docs.indexOf('## Node edition shape'));
      expect(section.length).to.be.lessThan(docs.length);
      for (const p of NODE_EDITION.properties) {
        for (const name of [p.getter, p.setter].filter(Boolean)) {
          expect(section, name).to.contain(`${name}()\``);
        }
      }
      expect(section).to.match(/\| `setSSLCert\(certificate\)` \| the SSLCert\\\* properties \| sample \|/);
      expect(section).to.match(/\| `await ping\(connectionId\)` \| Ping method \| \*derived\* \|/);
    });
  });

  describe('tools/gen-node-edition.mjs', () => {
    const GEN = join(ROOT, 'tools', 'gen-node-edition.mjs');
    const gen = (...args: string[]) => spawnSync(process.execPath, [GEN, ...args], { cwd: ROOT, encoding: 'utf8' });
    let tmp: string;
    beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'gen-node-edition-'))));
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    it('finds the checked-in file in sync with the description (--check exits 0)', () => {
      const run = gen('--check');
      expect([run.status, run.stdout, run.stderr]).to.deep.equal([0, 'gen-node-edition: generated file is up to date\n', '']);
    });

    it('fails --check (exit 1) when the description changes, and writes the new names', () => {
      const api = JSON.parse(JSON.stringify(API));
      api.properties.find((p: Row) => p.name === 'LocalHost').name = 'LocalAddressX';
      const changed = join(tmp, 'changed.json');
      writeFileSync(changed, JSON.stringify(api));
      const check = gen('--check', '--api', changed);
      expect(check.status).to.equal(1);
      expect(check.stdout).to.contain('compat/node-edition/generated.ts');
      expect(gen('--api', changed, '--out', tmp).status).to.equal(0);
      const written = readFileSync(join(tmp, 'compat', 'node-edition', 'generated.ts'), 'utf8');
      expect(written).to.contain('getLocalAddressX(): string {');
      expect(written).not.to.contain('getLocalHost(');
    });
  });
});
