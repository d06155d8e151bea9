// The import graph of lib/ and compat/, and its circles. Every import counts — `import type` too:
// a type-only circle is still two modules that cannot be understood (or split) one without the other.
//
//   node tools/import-graph.mjs [--root DIR] [--json]
//
// Prints each circle (the files of one strongly connected component, with the imports that tie
// them) and exits 1 when there is any; exits 0 and prints nothing otherwise.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FOLDERS = ['lib', 'compat'];

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

/** The module specifiers a TypeScript source names: import/export … from '…', import('…'), require('…'). */
export function specifiers(source) {
  // Comments go first, so that an example in a comment is not taken for an import.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** The file a relative specifier names, or null (packages and node: modules are not part of the graph). */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** { file: [imported files] } for every module under lib/ and compat/ of `root`, paths relative to it. */
export function importGraph(root) {
  const graph = new Map();
  for (const folder of FOLDERS) {
    for (const file of walk(join(root, folder))) {
      const targets = new Set();
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        const target = resolveSpecifier(file, specifier);
        if (target) targets.add(relative(root, target));
      }
      graph.set(relative(root, file), [...targets].sort());
    }
  }
  return graph;
}

/** The circles of `graph`: strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function circles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** The imports inside one circle, "a -> b" each. */
export function ties(graph, component) {
  const members = new Set(component);
  const lines = [];
  for (const file of component) for (const target of graph.get(file) ?? []) if (members.has(target)) lines.push(`${file} -> ${target}`);
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rootArg = process.argv.indexOf('--root');
  const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..');
  const graph = importGraph(root);
  const found = circles(graph);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(found.map((c) => ({ files: c, imports: ties(graph, c) })), null, 2)}\n`);
  } else {
    for (const component of found) {
      process.stdout.write(`circle of ${component.length} files:\n`);
      for (const line of ties(graph, component)) process.stdout.write(`  ${line}\n`);
    }
  }
  process.exitCode = found.length > 0 ? 1 : 0;
}
