/**
 * examples/graceful-shutdown.mjs, the SIGTERM recipe of docs/OPERATIONS.md, run as a real process
 * through the built package (npm test builds dist/ first): on SIGTERM a client that answers the close
 * gets 1001 and a clean end, one that never answers is cut off at the drain deadline, and the process
 * exits 0 on its own. Its metrics port answers while it runs.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-client';

const root = join(__dirname, '..', '..', '..');

function start(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, [join(root, 'examples', 'graceful-shutdown.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start: ${output}`)), 8000);
    child.stdout!.on('data', () => {
      const match = /Listening on port (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output });
      }
    });
    child.once('exit', (code) => reject(new Error(`the example exited (${code}): ${output}`)));
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

describe('examples/graceful-shutdown.mjs', () => {
  const children: ChildProcess[] = [];
  const clients: RawClient[] = [];

  before(function () {
    if (!existsSync(join(root, 'dist', 'index.mjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('drains on SIGTERM: 1001 to every client, a silent one cut off at the deadline, exit 0', async () => {
    const metricsPort = await freePort();
    const { child, port, output } = await start(['0', '1', String(metricsPort)]);
    children.push(child);
    const polite = await RawClient.open(port);
    const silent = await RawClient.open(port);
    clients.push(polite, silent);
    polite.sendText('ping');
    expect((await polite.readMessage()).data.toString()).to.equal('ping');
    expect(await scrape(metricsPort)).to.contain('wsserver_connections{phase="open"} 2\n');

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const close = await polite.readClose();
    expect(close.code).to.equal(1001);
    polite.sendClose(close.code);
    await polite.waitForEnd();
    expect((await silent.readClose()).code).to.equal(1001);
    await silent.waitForEnd(5000);
    expect(await exited).to.equal(0);
    expect(output()).to.contain('SIGTERM: draining 2 connection(s)');
    expect(output()).to.contain('destroyed at the deadline: 1');
  });
});
