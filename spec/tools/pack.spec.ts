/**
 * What `npm pack` makes of a git checkout, installed the way a user installs it. The checkout's files
 * are copied to a temporary folder without dist/ (it is gitignored), so the tarball's dist/ can only
 * come from the `prepare` script; the tarball is then installed into a temporary project (offline: it
 * has no dependencies) and every "exports" entry is required, imported and type-checked from there,
 * on the Node that runs the specs. Then every ```js example of the installed README runs there as a
 * script, each server example answering a real client's message.
 */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** One step (a build, an install) that takes longer than this is stuck. */
const STEP_MS = 60_000;

interface Ran {
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Ran> {
  // The npm_* variables of an enclosing `npm test` would steer the inner npm (its lifecycle, its config).
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: STEP_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** The files of the checkout as git sees them: tracked, plus new ones not ignored. */
async function checkoutFiles(): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], root);
  // node_modules is a symlink in a worktree, which the gitignore's `node_modules/` does not match.
  return stdout.split('\0').filter((file) => file !== '' && !/^(node_modules|dist|build)(\/|$)/.test(file) && existsSync(join(root, file)));
}

const ENTRIES = ['.', './compat', './ids', './ipworks'] as const;
const specifier = (entry: string) => (entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`);

/** Run from the installed project with CommonJS: each entry's main symbols, and its keys for the ESM check. */
const CJS_CHECK = `
const assert = require('node:assert/strict');
const keys = {};
for (const name of ${JSON.stringify(ENTRIES.map(specifier))}) keys[name] = Object.keys(require(name)).sort();
const { WSServer, WSServerError, ErrorCode } = require('wsserver-compat');
assert.equal(typeof WSServer, 'function');
assert.equal(new WSServerError(ErrorCode.InvalidConnectionId).code, 126);
const compat = require('wsserver-compat/compat');
const handle = compat.ipworksssl_wsserver_open();
assert.equal(compat.ipworksssl_wsserver_set(handle, 24, 0), 0);
assert.equal(compat.ipworksssl_wsserver_close(handle), 0);
assert.equal(typeof compat.IPWorksSSL_WSServer, 'function');
assert.equal(require('wsserver-compat/ids').PropertyId.LocalPort, 24);
const ipworks = require('wsserver-compat/ipworks');
assert.equal(typeof new ipworks.wsserver().startListening, 'function');
assert.equal(require('wsserver-compat/package.json').version, ${JSON.stringify(pkg.version)});
process.stdout.write(JSON.stringify(keys));
`;

/** The same from ESM, plus the README's first example cut short: listen on a free loopback port, shut down. */
const ESM_CHECK = `
import assert from 'node:assert/strict';
import { WSServer } from 'wsserver-compat';
import * as compat from 'wsserver-compat/compat';
import { PropertyId } from 'wsserver-compat/ids';
import ipworks from 'wsserver-compat/ipworks';
const keys = {};
for (const name of ${JSON.stringify(ENTRIES.map(specifier))}) keys[name] = Object.keys(await import(name)).sort();
assert.equal(PropertyId.LocalPort, 24);
assert.equal(typeof compat.wsserver_do_doevents, 'function');
assert.equal(typeof ipworks.wsserver, 'function');
const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, config: { BufferMessage: true } });
server.on('DataIn', (e) => server.sendText(e.connectionId, 'echo: ' + e.text));
await server.startListening();
assert.ok(server.localPort > 0);
await server.shutdown();
process.stdout.write(JSON.stringify(keys));
`;

/** Type-checked against the installed declarations; each @ts-expect-error fails the check if the types are missing (any). */
const TYPES_CHECK = `
import { WSServer, WSServerError, type DataInEvent } from 'wsserver-compat';
import { ipworksssl_wsserver_open, IPWorksSSL_WSServer } from 'wsserver-compat/compat';
import { PropertyId, ErrorCode } from 'wsserver-compat/ids';
import { wsserver } from 'wsserver-compat/ipworks';

const server = new WSServer({ localPort: 0 });
const port: number = server.localPort;
// @ts-expect-error LocalPort is a number
server.localPort = 'eighty';
server.on('DataIn', (e: DataInEvent) => void server.sendText(e.connectionId, e.text));
const handle: number = ipworksssl_wsserver_open();
// @ts-expect-error the handle is a number
const wrong: string = ipworksssl_wsserver_open();
const localPort: 24 = PropertyId.LocalPort;
const code: number = new WSServerError(ErrorCode.InvalidConnectionId).code;
const php = new IPWorksSSL_WSServer();
const vendor = new wsserver();
// @ts-expect-error no such method
vendor.noSuchMethod();
export { port, handle, wrong, localPort, code, php, vendor };
`;

/** The ```js blocks of a README, in order. */
function readmeExamples(readme: string): string[] {
  const blocks: string[] = [];
  const fence = /^```js\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(readme); match !== null; match = fence.exec(readme)) blocks.push(match[1]!);
  return blocks;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends 'hello' to an example server (retrying while it starts) and gives back its first answer. */
async function echoFrom(url: string, deadline: number): Promise<string> {
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(url, { rejectUnauthorized: false, handshakeTimeout: 2000 });
        const timer = setTimeout(() => ws.terminate(), 3000);
        ws.on('open', () => ws.send('hello'));
        ws.on('message', (data) => {
          clearTimeout(timer);
          ws.close();
          resolve(String(data));
        });
        ws.on('error', reject);
        ws.on('close', () => reject(new Error('closed before an answer')));
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Runs one README example in `app` until it answered (servers) or ended (the rest); its output. */
async function runExample(app: string, index: number, source: string): Promise<{ answer: string | null; stdout: string }> {
  const port = await freePort();
  const tls = source.includes('sslCertStore');
  const script = source
    .replace(/\b(8080|8443)\b/g, String(port))
    .replace("'/etc/wsserver/server.pfx'", JSON.stringify(join(root, 'spec', 'fixtures', 'tls', 'server-rsa.pfx')));
  const file = join(app, `readme-${index}.${/\brequire\(/.test(script) ? 'cjs' : 'mjs'}`);
  writeFileSync(file, script);
  const child = spawn(process.execPath, [file], { cwd: app, env: { ...process.env, PFX_PASSWORD: 'test-password' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    if (!/startListening|startlistening/i.test(script)) {
      const code = await Promise.race([ended, new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), STEP_MS))]);
      expect(code, `README example ${index} exits 0: ${stderr}`).to.equal(0);
      return { answer: null, stdout };
    }
    const answer = await Promise.race([
      echoFrom(`${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/chat`, Date.now() + 20_000),
      ended.then((code) => Promise.reject(new Error(`README example ${index} ended (${code}) before answering: ${stderr}`))),
    ]);
    return { answer, stdout };
  } finally {
    child.kill('SIGTERM');
    const code = await ended;
    // The README's SIGTERM recipe drains and exits 0 instead of dying of the signal (code null).
    if (script.includes("'SIGTERM'")) expect(code, `README example ${index} exits 0 on SIGTERM: ${stderr}`).to.equal(0);
  }
}

describe('npm pack of a checkout', function () {
  this.timeout(4 * STEP_MS);
  let work = '';

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds dist/ on pack (prepare), and the installed tarball serves every "exports" entry with its types', async () => {
    expect(pkg.scripts.prepare, 'the prepare script').to.match(/\btools\/build\.mjs\b/);
    work = mkdtempSync(join(tmpdir(), 'wsserver-pack-'));
    const source = join(work, 'checkout');
    for (const file of await checkoutFiles()) {
      mkdirSync(dirname(join(source, file)), { recursive: true });
      cpSync(join(root, file), join(source, file));
    }
    expect(existsSync(join(source, 'dist')), 'a checkout has no dist/').to.equal(false);
    symlinkSync(realpathSync(join(root, 'node_modules')), join(source, 'node_modules'), 'dir');

    const packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', work], source)).stdout)[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    for (const entry of ENTRIES) {
      for (const target of Object.values(pkg.exports[entry]) as string[]) expect(files, `${entry}: ${target}`).to.include(target.replace(/^\.\//, ''));
    }
    expect(files).to.include('dist/ids.json');
    expect(files.filter((f) => /^(spec|lib|compat|tools)\//.test(f)), 'sources are not shipped').to.deep.equal([]);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], app);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', pkg.name, 'package.json'), 'utf8'));
    expect(installed.version).to.equal(pkg.version);
    expect(installed.dependencies ?? {}).to.deep.equal({});

    writeFileSync(join(app, 'check.cjs'), CJS_CHECK);
    writeFileSync(join(app, 'check.mjs'), ESM_CHECK);
    const required = JSON.parse((await run(process.execPath, ['check.cjs'], app)).stdout);
    const imported = JSON.parse((await run(process.execPath, ['check.mjs'], app)).stdout);
    for (const entry of ENTRIES) {
      const name = specifier(entry);
      expect(required[name].length, name).to.be.greaterThan(3);
      expect(imported[name], `${name}: import and require give the same names`).to.deep.equal(required[name]);
    }

    // The declarations, as a TypeScript user resolves them (node16 rules follow "exports" and its "types").
    symlinkSync(realpathSync(join(root, 'node_modules', '@types')), join(app, 'node_modules', '@types'), 'dir');
    writeFileSync(join(app, 'check.mts'), TYPES_CHECK);
    writeFileSync(join(app, 'check.cts'), TYPES_CHECK.replace(/^import \{ wsserver \}.*$/m, "import ipworks = require('wsserver-compat/ipworks');\nconst { wsserver } = ipworks;"));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, files: ['check.mts', 'check.cts'] }),
    );
    await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);

    // The README's examples, as a user pastes them, against the installed package.
    const examples = readmeExamples(readFileSync(join(app, 'node_modules', pkg.name, 'README.md'), 'utf8'));
    expect(examples.length, 'README examples found').to.be.at.least(6);
    const seen = new Set<string>();
    for (const [index, source] of examples.entries()) {
      for (const entry of ENTRIES) if (source.includes(`'${specifier(entry)}'`)) seen.add(entry);
      const { answer, stdout } = await runExample(app, index, source);
      if (answer === null) expect(stdout.trim(), `README example ${index} prints`).to.not.equal('');
      else expect(answer, `README example ${index} answers`).to.match(/^(echo: )?hello$/);
    }
    expect([...seen].sort(), 'every entry point has a README example').to.deep.equal([...ENTRIES].sort());
  });
});
