// Summarises a V8 CPU profile (node --cpu-prof, e.g. from `bench/run.mjs --cpu-prof dir`): the
// functions with the most self time and the most total (inclusive) time, each mapped back through the
// bundle's source map to its lib/… or compat/… file and line, and the time per source file.
//
//   node bench/profile.mjs file.cpuprofile [--top 30] [--maps dir] [--filter ours]
//
// Source maps are looked up next to the profiled bundle, then in --maps (bench/run.mjs copies the
// measured bundles into the profile directory), then in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const argv = process.argv.slice(2);
const file = argv.find((a) => !a.startsWith('--') && !isValue(a));
if (!file) {
  console.error('usage: node bench/profile.mjs file.cpuprofile [--top 30] [--maps dir] [--filter ours]');
  process.exit(1);
}
const top = Number(option('--top') ?? 30);
const mapsDir = option('--maps') ?? dirname(file);
const onlyOurs = option('--filter') === 'ours';

function option(name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

function isValue(a) {
  const i = argv.indexOf(a);
  return i > 0 && argv[i - 1].startsWith('--');
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time per node from the samples and their time deltas (µs).
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
let idleUs = 0;
for (const n of profile.nodes) if (n.callFrame.functionName === '(idle)') idleUs += selfUs.get(n.id) ?? 0;
const busyUs = totalUs - idleUs;

// ─── Source mapping ─────────────────────────────────────────────────────────────────────────────

const maps = new Map();
function mapFor(url) {
  if (!url.startsWith('file://')) return null;
  if (maps.has(url)) return maps.get(url);
  const path = fileURLToPath(url);
  let map = null;
  for (const candidate of [`${path}.map`, join(mapsDir, `${basename(path)}.map`), join(root, 'dist', `${basename(path)}.map`)]) {
    if (existsSync(candidate)) {
      map = new SourceMap(JSON.parse(readFileSync(candidate, 'utf8')));
      break;
    }
  }
  maps.set(url, map);
  return map;
}

/** "lib/server/ws-connection.ts:412 onData" for a call frame. */
function place(frame) {
  const { url, lineNumber, columnNumber, functionName } = frame;
  const name = functionName || '(anonymous)';
  if (!url) return { file: name, where: name, name };
  const map = mapFor(url);
  if (map) {
    const entry = map.findEntry(lineNumber, columnNumber);
    if (entry && entry.originalSource) {
      const source = entry.originalSource.replace(/^.*?(?=(lib|compat|bench|node_modules)\/)/, '');
      return { file: source, where: `${source}:${entry.originalLine + 1}`, name };
    }
  }
  const short = url.replace(/^file:\/\/.*?\/node_modules\//, 'node_modules/').replace(/^file:\/\//, '');
  return { file: short, where: `${short}:${lineNumber + 1}`, name };
}

// ─── Aggregation ────────────────────────────────────────────────────────────────────────────────

const placeOf = new Map();
for (const n of profile.nodes) placeOf.set(n.id, place(n.callFrame));

const self = new Map();
const files = new Map();
for (const n of profile.nodes) {
  const us = selfUs.get(n.id) ?? 0;
  if (us === 0 || n.callFrame.functionName === '(idle)') continue;
  const p = placeOf.get(n.id);
  const key = `${p.name} ${p.where}`;
  self.set(key, (self.get(key) ?? 0) + us);
  files.set(p.file, (files.get(p.file) ?? 0) + us);
}

// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, us] of selfUs) {
  if (byId.get(id).callFrame.functionName === '(idle)') continue;
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const p = placeOf.get(cur);
    const key = `${p.name} ${p.where}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}

const ours = (key) => / (lib|compat)\//.test(key);
const pct = (us) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;

console.log(`# ${basename(file)}: ${(totalUs / 1e6).toFixed(2)} s sampled, ${(busyUs / 1e6).toFixed(2)} s busy (${((100 * busyUs) / totalUs).toFixed(0)} %); percentages are of busy time`);
console.log(`\n## self time (top ${top}${onlyOurs ? ', lib/ and compat/ only' : ''})`);
for (const [key, us] of [...self].filter(([k]) => !onlyOurs || ours(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${key}`);
}
console.log(`\n## total time, lib/ and compat/ functions (top ${top})`);
for (const [key, us] of [...inclusive].filter(([k]) => ours(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${key}`);
}
console.log('\n## self time per file');
for (const [f, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);
