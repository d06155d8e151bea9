/**
 * tools/test-nodes.mjs (the specs on the other Node majors) and the results file of
 * tools/mocha-reporter.cjs that it reads: the summary lines, the total, and when a run counts as failed.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '..', '..', '..');
const TOOL = join(root, 'tools', 'test-nodes.mjs');
const REPORTER = join(root, 'tools', 'mocha-reporter.cjs');
const MOCHA = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');

interface Results {
  passes: number;
  failures: number;
  pending?: number;
  node?: string;
}
interface Run {
  label: string;
  results: Results | undefined;
  status: number;
  reason?: string;
}
interface Tool {
  MAJORS: number[];
  cacheDir(major: number, env: Record<string, string | undefined>): string;
  cachedBinary(major: number, env: Record<string, string | undefined>): string;
  summarize(runs: Run[]): { lines: string[]; ok: boolean };
  failureExcerpt(output: string): string;
  readResults(file: string): Results | undefined;
}

/** A spec file with `passing` passing tests and `failing` failing ones. */
function specFile(dir: string, passing: number, failing: number): string {
  const file = join(dir, `sample-${passing}-${failing}.spec.js`);
  const tests = [
    ...Array.from({ length: passing }, (_, i) => `it('passes ${i}', () => {});`),
    ...Array.from({ length: failing }, (_, i) => `it('fails ${i}', () => { throw new Error('failure ${i}'); });`),
  ];
  writeFileSync(file, `describe('sample', () => {\n${tests.join('\n')}\n});\n`);
  return file;
}

describe('tools/test-nodes.mjs', () => {
  let tool: Tool;
  let dir: string;

  before(async () => {
    tool = (await import(pathToFileURL(TOOL).href)) as Tool;
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'test-nodes-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs Node 22, 24 and 26, cached per major outside the project', () => {
    expect(tool.MAJORS).to.deep.equal([22, 24, 26]);
    expect(tool.cacheDir(24, { XDG_CACHE_HOME: '/c', HOME: '/h' })).to.equal('/c/wsserver-compat/node-24');
    expect(tool.cacheDir(26, { HOME: '/h' })).to.equal('/h/.cache/wsserver-compat/node-26');
    expect(tool.cachedBinary(22, { HOME: '/h' })).to.equal(`/h/.cache/wsserver-compat/node-22/node_modules/node-${process.platform}-${process.arch}/bin/node`);
  });

  it('sums the runs into one line per version and the plain total line, last', () => {
    const { lines, ok } = tool.summarize([
      { label: 'build/test-results.json', results: { passes: 1991, failures: 0, node: 'v20.20.2' }, status: 0 },
      { label: 'node 24', results: { passes: 1990, failures: 1, node: 'v24.22.3' }, status: 1 },
      { label: 'node 26', results: { passes: 1991, failures: 0, node: 'v26.12.1' }, status: 0 },
    ]);
    expect(lines).to.deep.equal([
      'node v20.20.2: 1991 passed, 0 failed',
      'node v24.22.3: 1990 passed, 1 failed (exit 1)',
      'node v26.12.1: 1991 passed, 0 failed',
      '5972 passed, 1 failed',
    ]);
    expect(ok).to.equal(false);
    expect(tool.summarize([{ label: 'node 22', results: { passes: 3, failures: 0, node: 'v22.1.0' }, status: 0 }])).to.deep.equal({
      lines: ['node v22.1.0: 3 passed, 0 failed', '3 passed, 0 failed'],
      ok: true,
    });
  });

  it('fails a run that reported nothing, passed nothing or exited non-zero, and an empty set', () => {
    const failing: Run[] = [
      { label: 'node 24', results: undefined, status: 137 },
      { label: 'node 26', results: undefined, status: 1, reason: 'not installed' },
      { label: 'node 22', results: { passes: 0, failures: 0 }, status: 0 },
      { label: 'node 22', results: { passes: 5, failures: 0 }, status: 1 },
    ];
    for (const run of failing) expect(tool.summarize([run]).ok, JSON.stringify(run)).to.equal(false);
    expect(tool.summarize(failing.slice(0, 2)).lines).to.deep.equal([
      'node 24: no results (the run ended before mocha reported, exit 137)',
      'node 26: no results (not installed)',
      '0 passed, 0 failed',
    ]);
    expect(tool.summarize([]).ok).to.equal(false);
  });

  it('shows mocha\'s failure list of a failed run', () => {
    const output = ['  sample', '    ✔ passes', '    1) fails', '', '  1 passing (3ms)', '  1 failing', '', '  1) sample', '       fails:', '     Error: failure'].join('\n');
    expect(tool.failureExcerpt(output)).to.equal(['  1 passing (3ms)', '  1 failing', '', '  1) sample', '       fails:', '     Error: failure'].join('\n'));
    expect(tool.failureExcerpt('Segmentation fault\n')).to.equal('Segmentation fault');
  });

  it('reads results files, and nothing from a missing or damaged one', () => {
    writeFileSync(join(dir, 'good.json'), '{"passes":2,"failures":1,"pending":0,"node":"v20.0.0"}\n');
    writeFileSync(join(dir, 'bad.json'), '{"passes":');
    expect(tool.readResults(join(dir, 'good.json'))).to.deep.equal({ passes: 2, failures: 1, pending: 0, node: 'v20.0.0' });
    expect(tool.readResults(join(dir, 'bad.json'))).to.equal(undefined);
    expect(tool.readResults(join(dir, 'missing.json'))).to.equal(undefined);
  });

  it('the reporter writes its counts and the Node version where WSSERVER_TEST_RESULTS says', () => {
    const results = join(dir, 'nested', 'results.json');
    const run = spawnSync(process.execPath, [MOCHA, '--no-config', '--reporter', REPORTER, specFile(dir, 2, 1)], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, WSSERVER_TEST_RESULTS: results },
    });
    expect(run.status).to.equal(1);
    expect(run.stdout.trimEnd().split('\n').pop()).to.equal('2 passed, 1 failed');
    expect(JSON.parse(readFileSync(results, 'utf8'))).to.deep.equal({ passes: 2, failures: 1, pending: 0, node: process.version });
  });

  describe('end to end, with this Node standing in for another major', () => {
    // The runner writes build/test-results-node<major>.json and its log; 99 is a major nobody runs.
    const outputs = ['test-results-node99.json', 'test-output-node99.log'].map((name) => join(root, 'build', name));
    afterEach(() => {
      for (const file of outputs) rmSync(file, { force: true });
    });

    function runTool(spec: string, ...args: string[]) {
      return spawnSync(process.execPath, [TOOL, '--node', `99=${process.execPath}`, ...args, '--', '--no-config', '--reporter', REPORTER, spec], {
        cwd: root,
        encoding: 'utf8',
      });
    }

    it('adds the --with results, ends with the total and fails when a version failed', () => {
      const earlier = join(dir, 'earlier.json');
      writeFileSync(earlier, JSON.stringify({ passes: 10, failures: 0, pending: 0, node: 'v20.0.0' }));
      const run = runTool(specFile(dir, 3, 2), '--with', earlier);
      expect(run.status, run.stderr).to.equal(1);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines.slice(-3)).to.deep.equal(['node v20.0.0: 10 passed, 0 failed', `node ${process.version}: 3 passed, 2 failed (exit 2)`, '13 passed, 2 failed']);
      expect(run.stdout).to.contain('Error: failure 1');
      expect(existsSync(outputs[1]!)).to.equal(true);
      expect(JSON.parse(readFileSync(outputs[0]!, 'utf8'))).to.include({ passes: 3, failures: 2 });
    });

    it('exits 0 when every version passed', () => {
      const run = runTool(specFile(dir, 4, 0));
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout.trimEnd().split('\n').slice(-2)).to.deep.equal([`node ${process.version}: 4 passed, 0 failed`, '4 passed, 0 failed']);
    });
  });
});
