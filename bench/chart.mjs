// A bar chart (SVG, no dependencies) of a `bench/run.mjs --json` result: for every throughput scenario,
// each server's median msgs/s and p99 latency relative to a reference peer (Bun by default; the first
// server of the scenario when it has no Bun row), with the min–max of the rounds as a whisker.
//
//   node bench/chart.mjs results.json [--out chart.svg] [--reference bun]
import { readFileSync, writeFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const file = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
if (!file) {
  console.error('usage: node bench/chart.mjs results.json [--out chart.svg] [--reference bun]');
  process.exit(1);
}
const out = option('--out') ?? file.replace(/\.json$/, '') + '.svg';
const reference = option('--reference') ?? 'bun';
const results = JSON.parse(readFileSync(file, 'utf8'));

const COLORS = { ours: '#2f6fb0', 'compat-doevents': '#6a9fd4', 'compat-idle': '#9cc3ea', before: '#888', ws: '#d08a2c', raw: '#5b9e4d', bun: '#b04a6f' };
const METRICS = [
  ['msgsPerSec', 'msgs/s relative to'],
  ['p99Ms', 'p99 latency relative to'],
];
const groups = Object.entries(results.scenarios).filter(([, s]) => s.kind === 'throughput' && s.summary);

const BAR = 14;
const GAP = 26;
const LEFT = 60;
const PANEL_H = 220;
const TOP = 40;
const widths = groups.map(([, s]) => Object.keys(s.summary).length * BAR + GAP);
const width = LEFT + widths.reduce((a, b) => a + b, 0) + 140;
const height = TOP + METRICS.length * (PANEL_H + 60);
const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`];
parts.push(`<text x="${LEFT}" y="20" font-size="13">${escape(`npm run bench, ${results.started}, Node ${results.node}, ${results.cpus} CPUs${results.pinned ? ', pinned' : ''}`)}</text>`);

METRICS.forEach(([metric, title], panel) => {
  const base = TOP + panel * (PANEL_H + 60) + PANEL_H;
  const refs = groups.map(([, s]) => s.summary[reference]?.[metric]?.median ?? Object.values(s.summary)[0][metric]?.median ?? 0);
  // The axis goes to the largest max ratio (rounded up to 0.5), at least 1.5 and at most 3 (taller bars are cut).
  const ratios = groups.flatMap(([, s], g) => Object.values(s.summary).map((v) => (refs[g] ? (v[metric]?.max ?? 0) / refs[g] : 0)));
  const scale = Math.min(3, Math.max(1.5, Math.ceil(Math.max(...ratios) * 2) / 2));
  const y = (ratio) => base - (Math.min(ratio, scale) / scale) * PANEL_H;
  parts.push(`<text x="${LEFT}" y="${base - PANEL_H - 8}" font-size="12">${escape(`${title} ${reference} (median, min–max of the rounds; 1 = ${reference})`)}</text>`);
  for (let tick = 0; tick <= scale; tick += 0.5) {
    parts.push(`<line x1="${LEFT}" x2="${width - 130}" y1="${y(tick)}" y2="${y(tick)}" stroke="${tick === 1 ? '#000' : '#ddd'}"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y(tick) + 4}" text-anchor="end">${tick.toFixed(1)}</text>`);
  }
  let x = LEFT + GAP / 2;
  groups.forEach(([name, s], g) => {
    const ref = refs[g];
    const start = x;
    for (const [server, v] of Object.entries(s.summary)) {
      const m = v[metric];
      if (!m || !ref) continue;
      const color = COLORS[server] ?? '#aaa';
      parts.push(`<rect x="${x}" y="${y(m.median / ref)}" width="${BAR - 2}" height="${base - y(m.median / ref)}" fill="${color}"><title>${escape(`${name} ${server}: ${m.median} (${m.min}–${m.max})`)}</title></rect>`);
      parts.push(`<line x1="${x + BAR / 2 - 1}" x2="${x + BAR / 2 - 1}" y1="${y(m.min / ref)}" y2="${y(m.max / ref)}" stroke="#333"/>`);
      x += BAR;
    }
    parts.push(`<text x="${(start + x) / 2}" y="${base + 14}" text-anchor="middle">${escape(name)}</text>`);
    x += GAP;
  });
});

Object.entries(COLORS).forEach(([server, color], i) => {
  parts.push(`<rect x="${width - 120}" y="${TOP + i * 16}" width="10" height="10" fill="${color}"/><text x="${width - 105}" y="${TOP + i * 16 + 9}">${server}</text>`);
});
parts.push('</svg>');
writeFileSync(out, parts.join('\n') + '\n');
console.log(`chart written to ${out}`);

function option(name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
