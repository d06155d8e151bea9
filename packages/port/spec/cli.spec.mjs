// The command: where it writes, what it reports on stderr, and its exit codes (--check for CI).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '..', 'src', 'cli.mjs');
const fixtures = join(import.meta.dirname, 'fixtures');
const run = (args, options = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', ...options });

describe('port/cli', () => {
  let dir;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'port-cli-'));
    copyFileSync(join(fixtures, 'echo-procedural.php'), join(dir, 'echo.php'));
    copyFileSync(join(fixtures, 'needs-review.php'), join(dir, 'review.php'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes script.mjs next to script.php and reports each change on stderr', () => {
    const r = run([join(dir, 'echo.php')]);
    expect(r.status).to.equal(0);
    expect(readFileSync(join(dir, 'echo.mjs'), 'utf8')).to.equal(readFileSync(join(fixtures, 'echo-procedural.expected.mjs'), 'utf8'));
    expect(r.stderr).to.include(`${join(dir, 'echo.php')}:14: changed ipworksssl_wsserver_set(…, 30, $param['connectionid']): per-connection set`);
    expect(r.stderr.trimEnd().split('\n').pop()).to.equal(`${join(dir, 'echo.php')}: translated -> ${join(dir, 'echo.mjs')}`);
    expect(r.stdout).to.equal('');
  });

  it('-o names the output; -o - writes to stdout; `port` as first word is accepted', () => {
    expect(run([join(dir, 'echo.php'), '-o', join(dir, 'out.mjs')]).status).to.equal(0);
    expect(existsSync(join(dir, 'out.mjs'))).to.equal(true);
    const r = run(['port', join(dir, 'echo.php'), '-o', '-']);
    expect(r.stdout).to.equal(readFileSync(join(fixtures, 'echo-procedural.expected.mjs'), 'utf8'));
  });

  it('without --check, a script with TODOs is still written (exit 0) and the TODOs are counted', () => {
    const r = run([join(dir, 'review.php')]);
    expect(r.status).to.equal(0);
    expect(readFileSync(join(dir, 'review.mjs'), 'utf8')).to.include('// TODO(port): ');
    expect(r.stderr).to.include(`${join(dir, 'review.php')}: 7 constructs left as TODO(port)`);
  });

  it('--check writes nothing and exits 1 when anything was left, 0 when nothing was', () => {
    const bad = run(['--check', join(dir, 'echo.php'), join(dir, 'review.php')]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include(`${join(dir, 'review.php')}:11: TODO(port) static variable:`);
    expect(bad.stderr.trimEnd().split('\n').pop()).to.equal('2 scripts checked, 7 constructs left untranslated');
    expect(existsSync(join(dir, 'echo.mjs'))).to.equal(false);
    const good = run(['--check', join(dir, 'echo.php')]);
    expect(good.status).to.equal(0);
    expect(good.stderr.trimEnd().split('\n').pop()).to.equal('1 script checked, 0 constructs left untranslated');
  });

  it('a file that does not parse fails --check; usage errors exit 2', () => {
    writeFileSync(join(dir, 'broken.php'), '<?php if (');
    expect(run(['--check', join(dir, 'broken.php')]).status).to.equal(1);
    expect(run([]).status).to.equal(2);
    expect(run(['--bogus', 'x.php']).status).to.equal(2);
    expect(run([join(dir, 'missing.php')]).status).to.equal(2);
    expect(run([join(dir, 'echo.php'), join(dir, 'review.php'), '-o', 'x.mjs']).status).to.equal(2);
  });
});
