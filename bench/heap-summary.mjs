// What a server keeps per connection: reads a V8 heap snapshot (bench/run.mjs --scenario idle
// --heap-snapshot dir) and sums the objects' own sizes by constructor (or by kind: strings, closures,
// arrays, …), divided by the number of open connections.
//
//   node bench/heap-summary.mjs file.heapsnapshot --per 10000 [--top 30]
//
// Startup objects are included but weigh little next to thousands of connections; compare two
// servers' summaries (or two builds) rather than reading one in absolute terms.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const file = argv[0];
const per = Number(value('--per') ?? 1);
const top = Number(value('--top') ?? 30);
if (!file) {
  console.error('usage: node bench/heap-summary.mjs file.heapsnapshot --per N [--top 30]');
  process.exit(1);
}

function value(name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

const snap = JSON.parse(readFileSync(file, 'utf8'));
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const T = fields.indexOf('type');
const N = fields.indexOf('name');
const S = fields.indexOf('self_size');
const nodes = snap.nodes;
const strings = snap.strings;

const bySize = new Map();
const byCount = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + T]];
  const size = nodes[i + S];
  let key;
  if (type === 'object') key = strings[nodes[i + N]] || '(object)';
  else if (type === 'closure') key = `(closure) ${strings[nodes[i + N]] || 'anonymous'}`;
  else if (type === 'native') key = `(native) ${strings[nodes[i + N]].slice(0, 40)}`;
  else key = `(${type})`;
  bySize.set(key, (bySize.get(key) ?? 0) + size);
  byCount.set(key, (byCount.get(key) ?? 0) + 1);
  total += size;
}

console.log(`# ${file}: ${(total / 1024 / 1024).toFixed(1)} MiB of heap objects, ${(total / per).toFixed(0)} bytes per connection (${per} connections)`);
console.log('bytes/conn  objects/conn  constructor or kind');
for (const [key, size] of [...bySize].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(size / per).toFixed(0).padStart(10)}  ${(byCount.get(key) / per).toFixed(2).padStart(12)}  ${key}`);
}
