/**
 * examples/echo-node-edition.mjs, started as a user would (a real process, through the package's own
 * exports, so dist/ must be built — npm test does it) with a legacy-encrypted PFX from the TLS fixtures
 * (3DES bags and a SHA-1 MAC, what OpenSSL 1.x wrote by default): it echoes text and binary over wss to
 * the `ws` client, reports the connection and the disconnection, and stops on SIGTERM.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, fixturePath } from '../../tls/fixtures';
import { closeClient, connect, eventually, replies } from './helpers';

const root = join(__dirname, '..', '..', '..', '..');

function start(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, [join(root, 'examples', 'echo-node-edition.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start: ${output}`)), 8000);
    child.stdout!.on('data', () => {
      const match = /Listening on port (\d+) \(wss\)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output });
      }
    });
    child.once('exit', (code) => reject(new Error(`the example exited (${code}): ${output}`)));
  });
}

describe('examples/echo-node-edition.mjs', () => {
  before(function () {
    if (!existsSync(join(root, 'dist', 'ipworks.mjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  });

  it('echoes text and binary over wss with a 3DES-encrypted PFX and reports connects and disconnects', async () => {
    const { child, port, output } = await start(['0', fixturePath('server-rsa.3des.pfx'), PASSWORD]);
    try {
      const ws = await connect(port, { tls: true });
      const got = replies(ws, 2);
      ws.send('héllo');
      ws.send(Buffer.from([0, 255, 7]));
      expect(await got).to.deep.equal([
        ['héllo', false],
        ['00ff07', true],
      ]);
      await closeClient(ws);
      await eventually(() => /Disconnected: \d+ \(1000\)/.test(output()), 'the Disconnected line', 5000);
      expect(output()).to.match(/Connected: \d+ from 127\.0\.0\.1/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(output()).to.contain('Stopped.');
  });
});
