import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chromium, type Page } from './chromium';

const ROOT = join(__dirname, '..', '..', '..');
const DEMO = join(ROOT, 'examples', 'demo-server.mjs');

/** Starts the demo on free ports and resolves with the two addresses it printed. */
function startDemo(): Promise<{ child: ChildProcess; wsUrl: string; pageUrl: string; output: () => string }> {
  if (!existsSync(join(ROOT, 'dist', 'index.mjs'))) {
    throw new Error('dist/index.mjs is missing: the demo runs the built package; build it with `node tools/build.mjs` (npm test does)');
  }
  const child = spawn(process.execPath, [DEMO, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo server printed no addresses within 15 s:\n${output}`));
    }, 15000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ws = /Echo server: (ws:\/\/\S+)/.exec(output);
      const page = /Demo page:\s+(http:\/\/\S+)/.exec(output);
      if (ws && page) {
        clearTimeout(timer);
        resolve({ child, wsUrl: ws[1]!, pageUrl: page[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited (${code}):\n${output}`));
    });
  });
}

describe('Demo page (examples/demo-server.mjs) in headless Chromium', function () {
  this.timeout(60000);
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  let browser: Chromium | undefined;

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((resolve) => demo!.child.once('exit', resolve));
      demo.child.kill('SIGTERM');
      await exited;
    }
    demo = undefined;
  });

  it('connects, echoes a text and a file, shows the negotiation and the live connection list, and takes a screenshot', async () => {
    demo = await startDemo();
    expect(demo.wsUrl).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    browser = await Chromium.launch();
    const page: Page = await browser.newPage();
    await page.goto(demo.pageUrl);
    await page.waitFor(`document.getElementById('url').value === ${JSON.stringify(`${demo.wsUrl}demo`)}`);

    await page.click('#connect');
    await page.waitFor(`document.getElementById('status').textContent === 'open'`);
    expect(await page.evaluate(`document.getElementById('extensions').textContent`)).to.match(/^permessage-deflate/);
    expect(await page.evaluate(`document.getElementById('subprotocol').textContent`)).to.equal('echo');

    await page.evaluate(`document.getElementById('message').value = 'hello from the spec ✓'`);
    await page.click('#send');
    await page.waitFor(`[...document.querySelectorAll('.entry.echo.ok')].some((e) => e.textContent.includes('hello from the spec ✓'))`);

    const dir = mkdtempSync(join(tmpdir(), 'wsserver-demo-'));
    const file = join(dir, 'upload.bin');
    const bytes = Buffer.alloc(70000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13) & 0xff;
    writeFileSync(file, bytes);
    await page.setFiles('#file', [file]);
    await page.click('#send-file');
    await page.waitFor(`[...document.querySelectorAll('.entry.echo.ok')].some((e) => e.textContent.includes('(binary, upload.bin): 68.4 KiB  ✓ matches'))`);
    expect(await page.evaluate(`document.querySelectorAll('.entry.echo.bad').length`)).to.equal(0);

    // The live list comes from the server: our connection, with its path, subprotocol and extension.
    await page.waitFor(`document.getElementById('connections').textContent.includes('/demo')`);
    const row = await page.evaluate<string[]>(`[...document.querySelectorAll('#connections tr:first-child td')].map((td) => td.textContent)`);
    expect(row[3]).to.equal('/demo');
    expect(row[4]).to.equal('echo');
    expect(row[5]).to.match(/^permessage-deflate/);

    const png = await page.screenshot();
    const shot = join(dir, 'demo-page.png');
    writeFileSync(shot, png);
    expect(png.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
    expect(png.length).to.be.above(10000);

    await page.click('#disconnect');
    await page.waitFor(`document.getElementById('status').textContent.startsWith('closed (1000')`);
    const deadline = Date.now() + 5000;
    while (!demo.output().includes('disconnected: 1000 bye from the demo page') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(demo.output()).to.include('disconnected: 1000 bye from the demo page');
    console.log(`      screenshot: ${shot}`);
  });

  it('serves its metrics in the Prometheus text format at /metrics', async () => {
    demo = await startDemo();
    const answer = await fetch(new URL('/metrics', demo.pageUrl));
    expect(answer.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
    expect(await answer.text()).to.match(/^wsserver_listening 1$/m);
  });
});
