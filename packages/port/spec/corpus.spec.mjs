// The corpus: legacy-style PHP scripts written for this project (spec/fixtures/*.php). Each one's
// port is compared with its reviewed snapshot (<name>.expected.mjs, <name>.report.txt; rewrite them
// with `npm run snapshots -w wsserver-compat-port` and read the diff), then started as a process on
// wsserver-compat/compat (the root's dist/, which `npm test` builds) and driven over loopback by the
// `ws` client, checking what the PHP script would have shown: replies, refusals and log lines.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { formatReport } from '../src/cli.mjs';
import { translate } from '../src/translate.mjs';

const fixtures = join(import.meta.dirname, 'fixtures');
const root = join(import.meta.dirname, '..', '..', '..');
// Inside the root package, so that `wsserver-compat/compat` resolves by self-reference to dist/; one
// folder per run, as test-nodes may run the suite on several Node versions at once.
const outDir = join(root, 'build', `port-corpus-${process.pid}`);
const tls = join(root, 'spec', 'fixtures', 'tls');

const NAMES = ['echo-object', 'echo-procedural', 'chat-broadcast', 'refuse-by-path', 'tls-from-argv', 'needs-review'];

function port(name) {
  const source = readFileSync(join(fixtures, `${name}.php`), 'utf8');
  return translate(source, { filename: `${name}.php` });
}

/** Starts a ported script; resolves once its output matches `ready`. */
function start(name, args, ready) {
  const file = join(outDir, `${name}.mjs`);
  writeFileSync(file, port(name).code);
  const child = spawn(process.execPath, [file, ...args], { cwd: outDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, output: '', exit: null };
  child.stdout.on('data', (d) => (proc.output += d.toString('latin1')));
  child.stderr.on('data', (d) => (proc.output += d.toString('latin1')));
  child.on('exit', (code) => (proc.exit = code));
  running.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${proc.output}`)), 10000);
    const check = () => {
      const m = ready.exec(proc.output);
      if (m) {
        clearTimeout(timer);
        proc.match = m;
        resolve(proc);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready.exec(proc.output)) reject(new Error(`${name} exited (${code}): ${proc.output}`));
    });
  });
}

/** Runs a ported script to its end; resolves with its exit code and output. */
function runToEnd(name, args) {
  const file = join(outDir, `${name}.mjs`);
  writeFileSync(file, port(name).code);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: outDir, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => reject(new Error(`${name} did not end: ${output}`)), 10000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const running = new Set();

async function until(check, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A ws client that records what it receives: [{ binary, data }]. */
function client(url, options = {}) {
  const ws = new WebSocket(url, { rejectUnauthorized: false, ...options });
  const got = [];
  ws.on('message', (data, binary) => got.push({ binary, data: Buffer.from(data) }));
  ws.on('error', () => {});
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { response: res })));
    ws.once('error', reject);
  });
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, got, opened, closed, texts: () => got.filter((m) => !m.binary).map((m) => m.data.toString('utf8')) };
}

describe('port/corpus: legacy scripts, ported and run', function () {
  before(function () {
    if (!existsSync(join(root, 'dist', 'compat.mjs'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) before these specs');
    mkdirSync(outDir, { recursive: true });
  });

  after(() => rmSync(outDir, { recursive: true, force: true }));

  afterEach(() => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    running.clear();
  });

  describe('the ports match their reviewed snapshots', () => {
    for (const name of NAMES) {
      it(`${name}.php -> ${name}.expected.mjs and ${name}.report.txt`, () => {
        const { code, report } = port(name);
        expect(code).to.equal(readFileSync(join(fixtures, `${name}.expected.mjs`), 'utf8'));
        expect(`${formatReport(`${name}.php`, report)}\n`).to.equal(readFileSync(join(fixtures, `${name}.report.txt`), 'utf8'));
      });
    }

    it('only needs-review.php leaves anything as TODO(port)', () => {
      const left = NAMES.filter((name) => port(name).report.some((r) => r.kind === 'todo'));
      expect(left).to.deep.equal(['needs-review']);
      expect(port('needs-review').code.match(/\/\/ TODO\(port\)/g)).to.have.length(7);
    });
  });

  it('echo-object: echoes text as text and binary as the same bytes, logging as the PHP script did', async () => {
    const server = await start('echo-object', ['0'], /Listening on port (\d+)\n/);
    const c = client(`ws://127.0.0.1:${server.match[1]}/`);
    await c.opened;
    c.ws.send('hello');
    c.ws.send('café');
    c.ws.send(Buffer.from([0x00, 0xff, 0x80]), { binary: true });
    await until(() => c.got.length === 3, 'three echoes');
    expect(c.got.map((m) => [m.binary, m.data.toString('hex')])).to.deep.equal([
      [false, Buffer.from('hello').toString('hex')],
      [false, Buffer.from('café').toString('hex')],
      [true, '00ff80'],
    ]);
    c.ws.close(1000);
    await until(() => server.output.includes('disconnected'), 'the disconnection line');
    // strlen counts bytes, as in PHP: "café" is 5.
    expect(server.output).to.equal(
      `Listening on port ${server.match[1]}\nClient 1 connected from 127.0.0.1\nEchoed 5 bytes to 1\nEchoed 5 bytes to 1\nEchoed 3 bytes to 1\nClient 1 disconnected (1000)\n`,
    );
  });

  it('echo-procedural: upper-cases text (ASCII only, as PHP 8.2), echoes bytes, disconnects on "bye"', async () => {
    const server = await start('echo-procedural', ['0'], /Listening on port (\d+)\n/);
    const c = client(`ws://127.0.0.1:${server.match[1]}/`);
    await c.opened;
    c.ws.send('hi café');
    c.ws.send(Buffer.from([1, 2, 0xfe]), { binary: true });
    await until(() => c.got.length === 2, 'two replies');
    expect(c.got[0]).to.deep.equal({ binary: false, data: Buffer.from('HI CAFé') });
    expect(c.got[1]).to.deep.equal({ binary: true, data: Buffer.from([1, 2, 0xfe]) });
    c.ws.send('  bye \n');
    const code = await c.closed;
    expect(code).to.be.a('number');
    await until(() => server.output.includes('Disconnected: 1'), 'the disconnection line');
    const lines = server.output.split('\n');
    expect(lines.slice(0, 4)).to.deep.equal([`Listening on port ${server.match[1]}`, 'Connected: 1 from 127.0.0.1', '1: 8 bytes', '1: 3 bytes']);
    expect(lines[4]).to.match(/^Disconnected: 1 \(\d+\)$/);
  });

  it('chat-broadcast: joins, renames, messages and leaves reach every client', async () => {
    const server = await start('chat-broadcast', ['0'], /Chat on port (\d+)\n/);
    const url = `ws://127.0.0.1:${server.match[1]}/`;
    const a = client(url);
    await a.opened;
    await until(() => a.got.length === 1, 'the first join');
    const b = client(url);
    await b.opened;
    await until(() => a.got.length === 2 && b.got.length === 1, 'the second join');
    a.ws.send('/nick ann');
    await until(() => b.got.length === 2, 'the rename');
    b.ws.send('  hello all  ');
    await until(() => a.got.length === 4 && b.got.length === 3, 'the message');
    b.ws.close(1000);
    await until(() => a.got.length === 5, 'the leave');
    expect(a.texts()).to.deep.equal(['* guest1 joined (1 online)', '* guest2 joined (2 online)', '* guest1 is now ann', '<guest2> hello all', '* guest2 left']);
    expect(b.texts()).to.deep.equal(['* guest2 joined (2 online)', '* guest1 is now ann', '<guest2> hello all']);
    expect(server.output).to.include('* guest1 is now ann\n<guest2> hello all\n* guest2 left\n');
  });

  it('refuse-by-path: /chat opens, /admin gets 401 with its header, anything else 404', async () => {
    const server = await start('refuse-by-path', ['0'], /ready on (\d+)\n/);
    const base = `ws://127.0.0.1:${server.match[1]}`;
    const admin = client(`${base}/admin/users`);
    const adminError = await admin.opened.then(() => null, (e) => e);
    expect(adminError.response.statusCode).to.equal(401);
    expect(adminError.response.headers['www-authenticate']).to.equal('Basic realm="admin"');
    const other = client(`${base}/other`);
    const otherError = await other.opened.then(() => null, (e) => e);
    expect(otherError.response.statusCode).to.equal(404);
    const chat = client(`${base}/chat`);
    await chat.opened;
    chat.ws.send('ça va');
    await until(() => chat.got.length === 1, 'the reply');
    expect(chat.texts()).to.deep.equal(['you said: ça va']);
    chat.ws.close(1000);
    expect(server.output.split('\n').slice(1, 4)).to.deep.equal(['refuse 401 /admin/users', 'refuse 404 /other (2 refused so far)', 'accept /chat']);
  });

  it('tls-from-argv: serves wss with the PFX named on the command line; Send picks text or binary as PHP did', async () => {
    const password = readFileSync(join(tls, 'PASSWORD.txt'), 'utf8').trim();
    const server = await start('tls-from-argv', ['0', join(tls, 'server-rsa.pfx'), password], /wss on port (\d+) as (.*)\n/);
    expect(server.match[2]).to.match(/CN=/);
    const c = client(`wss://127.0.0.1:${server.match[1]}/`);
    await c.opened;
    c.ws.send('plain text');
    c.ws.send(Buffer.from([0xc3, 0x28]), { binary: true }); // not UTF-8: stays binary
    await until(() => c.got.length === 2, 'two echoes');
    expect(c.got).to.deep.equal([
      { binary: false, data: Buffer.from('plain text') },
      { binary: true, data: Buffer.from([0xc3, 0x28]) },
    ]);
    c.ws.close(1000);
    await until(() => /SSL 1: /.test(server.output), 'an SSLStatus line');
  });

  it('tls-from-argv: without its arguments prints the usage and exits 1, as the PHP script does', async () => {
    const { code, output } = await runToEnd('tls-from-argv', ['0']);
    expect(code).to.equal(1);
    expect(output).to.equal('usage: php tls-from-argv.php <port> <certificate.pfx> <password>\n');
  });
});
