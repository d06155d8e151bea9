/**
 * The examples are part of the contract: each is started as a real process (as a user would, through
 * the package's own exports, so `npm run build` must have run — `npm test` does it), serves an echo
 * to the `ws` client, reports the connection and the disconnection, and stops on SIGTERM.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { PASSWORD, fixturePath, fixtureText } from '../tls/fixtures';

const root = join(__dirname, '..', '..', '..');

function start(script: string, args: string[] = ['0']): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, [join(root, 'examples', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${output}`)), 8000);
    child.stdout!.on('data', () => {
      const match = /Listening on port (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${output}`)));
  });
}

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('examples', () => {
  before(function () {
    if (!existsSync(join(root, 'dist', 'compat.mjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  });

  for (const script of ['echo-procedural.mjs', 'echo-php-style.mjs', 'echo-modern.mjs']) {
    it(`${script} echoes text and binary and reports connects and disconnects`, async () => {
      const { child, port, output } = await start(script);
      try {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        const replies: Array<[string, boolean]> = [];
        await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
        const done = new Promise<void>((resolve) =>
          ws.on('message', (data, binary) => {
            replies.push([binary ? (data as Buffer).toString('hex') : data.toString(), binary]);
            if (replies.length === 2) resolve();
          }),
        );
        ws.send('héllo');
        ws.send(Buffer.from([0, 255, 7]));
        await done;
        expect(replies).to.deep.equal([
          ['héllo', false],
          ['00ff07', true],
        ]);
        ws.close(1000, 'thanks');
        await waitFor(() => /Disconnected: \d+ \(1000 thanks\)/.test(output()));
        expect(output()).to.match(/Connected: \d+ from 127\.0\.0\.1/);
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      expect(output()).to.contain('Stopped.');
    });
  }

  // A legacy-encrypted PFX as Windows and OpenSSL 1.x export it by default: certificates under
  // pbeWithSHA1And40BitRC2-CBC, loaded without Node flags (the PKCS#12 reader decrypts RC2 itself).
  const LEGACY_PFX = 'server-rsa.rc2.pfx';

  it(`echo-php-tls.mjs (the vendor's PHP spelling) echoes text and every byte value over wss with ${LEGACY_PFX}`, async () => {
    const { child, port, output } = await start('echo-php-tls.mjs', ['0', fixturePath(LEGACY_PFX), PASSWORD]);
    try {
      expect(output()).to.match(/Listening on port \d+ \(wss\)/);
      const ws = new WebSocket(`wss://localhost:${port}/`, { ca: fixtureText('ca.crt') });
      const replies: Array<[Buffer, boolean]> = [];
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      const done = new Promise<void>((resolve) =>
        ws.on('message', (data, binary) => {
          replies.push([data as Buffer, binary]);
          if (replies.length === 2) resolve();
        }),
      );
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      ws.send('héllo €');
      ws.send(everyByte);
      await done;
      expect(replies.map(([data, binary]) => [binary ? data.toString('hex') : data.toString(), binary])).to.deep.equal([
        ['héllo €', false],
        [everyByte.toString('hex'), true],
      ]);
      ws.close(1000, 'thanks');
      await waitFor(() => /Disconnected: \d+ \(1000 thanks\)/.test(output()));
      expect(output()).to.match(/Connected: \d+ from 127\.0\.0\.1/);
      expect(output()).not.to.contain('Error:');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(output()).to.contain('Stopped.');
  });

  it('echo-php-tls.mjs reports a PFX it cannot open as the PHP wrappers print it (271) and exits with 1', async () => {
    const child = spawn(process.execPath, [join(root, 'examples', 'echo-php-tls.mjs'), '0', fixturePath(LEGACY_PFX), 'wrong password'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).to.equal(1);
    expect(output).to.match(/^271: /m);
  });
});
