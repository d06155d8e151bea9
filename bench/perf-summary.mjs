// Summarises a Linux `perf record -g` profile of one echo server (from `bench/run.mjs --perf dir`): where
// the CPU time of one message goes, natively as well as in JavaScript, which V8's --cpu-prof cannot show
// (the kernel's socket work, TLS encryption inside node, libuv, malloc).
//
//   node bench/perf-summary.mjs file.data [--msgs N] [--hz F] [--root regex]… [--top 25]
//
// --msgs: messages echoed while perf recorded (bench/run.mjs passes it), to print µs per message; without
// it, percentages only. --root: for each frame matching the regex, the time of the frames it called
// directly (inclusive), e.g. --root 'socketOnData' --root 'StreamBase::WriteBuffer'.
// JavaScript frames are named only when node ran with --perf-basic-prof(-only-functions): perf reads
// the symbols from /tmp/perf-PID.map, which bench/run.mjs moves beside the profile (file.map) after the
// round; this script puts it back in /tmp while perf reads the profile.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';

const argv = process.argv.slice(2);
const file = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
if (!file) {
  console.error('usage: node bench/perf-summary.mjs file.data [--msgs N] [--hz F] [--root regex]… [--top 25]');
  process.exit(1);
}
const msgs = Number(option('--msgs') ?? 0);
const hz = Number(option('--hz') ?? 999);
const top = Number(option('--top') ?? 25);
const roots = argv.flatMap((a, i) => (a === '--root' ? [argv[i + 1]] : []));

function option(name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

// `perf script` prints one block per sample: "ip symbol (dso)" lines, leaf first.
const text = withSymbolMap(file, () => execFileSync('perf', ['script', '-i', file, '-F', 'ip,sym,dso'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
const samples = [];
for (const block of text.split(/\n\s*\n/)) {
  const frames = [];
  for (const line of block.split('\n')) {
    const m = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/.exec(line);
    if (m) frames.push({ sym: tidy(m[1]), dso: dsoName(m[2]) });
  }
  if (frames.length > 0) samples.push(frames);
}
const total = samples.length;
if (total === 0) {
  console.log(`${file}: no samples`);
  process.exit(0);
}

/** Runs `read` with the profile's saved JIT map (file.map) at /tmp/perf-PID.map, where perf looks for it. */
function withSymbolMap(file, read) {
  const saved = file.replace(/\.data$/, '.map');
  if (saved === file || !existsSync(saved)) return read();
  const pid = execFileSync('perf', ['script', '-i', file, '-F', 'pid'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim()
    .split('\n')[0]
    .trim();
  const target = `/tmp/perf-${pid}.map`;
  if (!/^\d+$/.test(pid) || existsSync(target)) return read();
  copyFileSync(saved, target);
  try {
    return read();
  } finally {
    rmSync(target, { force: true });
  }
}

/** Symbols without the build's path, so that bundles read as index.mjs:LINE. */
function tidy(sym) {
  return sym
    .replace(/file:\/\/\/\S*?\/wsserver-bench-dist-\w+\//, 'dist/')
    .replace(/file:\/\/\/\S*?\/(dist|bench)\//, '$1/')
    .replace(/^\[unknown\]$/, '(unknown)');
}

function dsoName(path) {
  if (path.includes('kernel')) return 'kernel';
  if (path.startsWith('/tmp/perf-') || path.includes('JIT')) return 'JavaScript (optimised)';
  if (/\/node$|\/bun$/.test(path)) return 'node binary (V8 builtins, interpreter, C++, OpenSSL)';
  if (path.includes('libc')) return 'libc (malloc, memcpy, syscalls)';
  return path.replace(/^.*\//, '');
}

const seconds = total / hz;
const scale = msgs > 0 ? (count) => `${((count / hz / msgs) * 1e6).toFixed(3).padStart(7)} µs/msg` : () => '';
const pct = (count) => `${((100 * count) / total).toFixed(1).padStart(5)} %`;
console.log(`# ${file}: ${total} samples at ${hz} Hz (${seconds.toFixed(2)} s of CPU)${msgs > 0 ? `, ${msgs} messages: ${((seconds / msgs) * 1e6).toFixed(3)} µs/msg` : ''}`);

console.log('\n## by binary');
for (const [name, count] of tally(samples.map((s) => s[0].dso))) console.log(`${pct(count)} ${scale(count)}  ${name}`);

console.log(`\n## self time (top ${top})`);
for (const [name, count] of tally(samples.map((s) => s[0].sym)).slice(0, top)) console.log(`${pct(count)} ${scale(count)}  ${name}`);

for (const root of roots) {
  const rx = new RegExp(root);
  let under = 0;
  const children = [];
  for (const frames of samples) {
    const at = frames.findIndex((f) => rx.test(f.sym));
    if (at < 0) continue;
    under++;
    children.push(at === 0 ? '(self)' : frames[at - 1].sym);
  }
  console.log(`\n## under ${root}: ${pct(under)} ${scale(under)}`);
  for (const [name, count] of tally(children).slice(0, top)) console.log(`${pct(count)} ${scale(count)}  ${name}`);
}

function tally(names) {
  const counts = new Map();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}
