// Checks the architecture rules that the file list alone cannot enforce:
//   1. lib/protocol is the sans-I/O core (STYLE.md §2.1, §2.2): it imports no I/O module, no zlib
//      (the codec is behind MessageCodec, in lib/codec), no timers and no EventEmitter, and it
//      calls none of the global timer functions: the engine owns time. The imports are read from
//      the source without its comments, the calls from the source without comments and strings;
//   2. every module under lib/ and compat/ has a spec under spec/ with the same path, unless it is
//      listed below with the reason it has none;
//   3. reading is decided in one place (engine v2, step 1): under lib/server, lib/tls and compat only
//      the read gate calls `.pause()` / `.resume()`. (The core's frame parser has its own pause, a
//      sans-I/O flag, so lib/protocol is outside this rule.)
// Prints the problems and exits 1 when there are any.  `--json` prints them as JSON instead.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? process.argv[rootArg + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules that may import only pure things. */
const SANS_IO = 'lib/protocol';
/** What lib/protocol must not import (with or without `node:`): I/O, zlib (asynchronous and
 *  process-wide, so it sits behind MessageCodec), timers and EventEmitter (the engine owns time
 *  and dispatch; the core hands out events as plain calls). */
const IO_MODULES = [
  'net', 'tls', 'fs', 'fs/promises', 'http', 'https', 'http2', 'dgram', 'child_process', 'cluster', 'worker_threads',
  'zlib', 'timers', 'timers/promises', 'events',
];
/** Global scheduling calls lib/protocol must not make: a core that sets its own timers cannot be
 *  tested bytes-in/bytes-out, and its deadlines would escape the engine's control. */
const TIMER_GLOBALS = [
  'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'process.nextTick',
];

/** Modules without a spec file of their own, and why. */
const NO_OWN_SPEC = {
  'lib/index.ts': 're-exports only',
  'compat/index.ts': 're-exports only',
  'compat/ids.ts': 'generated; checked by spec/tools/gen-api.spec.ts and spec/compat/tables.spec.ts',
  'lib/generated/api.ts': 'generated; checked by spec/tools/gen-api.spec.ts and spec/compat/tables.spec.ts',
  'lib/protocol/errors.ts': 'error classes; asserted by every protocol spec',
  'lib/protocol/frame.ts': 'tested with the parser in spec/protocol/frame-parser.spec.ts',
  'lib/codec/zlib-lane.ts': 'base class of the compressor and decompressor; driven through spec/codec/deflate-codec.spec.ts',
  'lib/server/errors.ts': 'error class; asserted by every engine and compat spec',
  'lib/server/events.ts': 'payload types; asserted by spec/server/ws-server.events.spec.ts',
  'lib/server/settings.ts': 'config store; spec/server/ws-server.config.spec.ts',
  // Split out of ws-connection.ts / ws-server.ts by engine v2 step 1 with no behaviour to test of their own.
  'lib/server/connection-extras.ts': 'a state record and interfaces; no behaviour of its own',
  'lib/server/engine-context.ts': 'an interface only',
  'compat/compat-server.ts': 'driven through the procedural face in spec/compat/*',
  'compat/handle-table.ts': 'driven through the procedural face in spec/compat/*',
  'compat/php-class.ts': 'spec/compat/properties, events and methods specs (PHP-style face)',
};

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

/** `x.spec.ts`, or specs split by topic: `x.<topic>.spec.ts` in the same folder. */
function hasSpec(path) {
  if (existsSync(path)) return true;
  const dir = dirname(path);
  const base = path.slice(dir.length + 1).replace(/\.spec\.ts$/, '');
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith(`${base}.`) && name.endsWith('.spec.ts'));
}

const problems = [];
const importPattern =
  /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;
// Also after a dot: `globalThis.setTimeout` is the same global.
const timerPattern = new RegExp(`(?<![\\w$])(${TIMER_GLOBALS.map((name) => name.replace('.', '\\s*\\.\\s*')).join('|')})(?![\\w$])`, 'g');

for (const file of walk(join(root, SANS_IO))) {
  const rel = relative(root, file).split('\\').join('/');
  const { code, bare } = stripSource(readFileSync(file, 'utf8'));
  for (const match of code.matchAll(importPattern)) {
    const spec = (match[1] ?? match[2] ?? match[3] ?? match[4]).replace(/^node:/, '');
    if (IO_MODULES.includes(spec)) problems.push(`${rel} imports ${spec}: lib/protocol must stay free of I/O`);
  }
  for (const match of bare.matchAll(timerPattern)) {
    const line = bare.slice(0, match.index).split('\n').length;
    const name = match[1].replace(/\s+/g, '');
    problems.push(`${rel}:${line} uses ${name}: lib/protocol must not schedule work, the engine owns time`);
  }
}

for (const top of ['lib', 'compat']) {
  for (const file of walk(join(root, top))) {
    const rel = relative(root, file).split('\\').join('/');
    const spec = join(root, 'spec', rel.replace(/^lib\//, '').replace(/\.ts$/, '.spec.ts'));
    const specCompat = join(root, 'spec', rel.replace(/\.ts$/, '.spec.ts'));
    const specified = hasSpec(spec) || hasSpec(specCompat);
    // An exemption outlives its reason once the module has a spec of its own: it must go.
    if (NO_OWN_SPEC[rel]) {
      if (specified) problems.push(`${rel} has a spec now: drop its NO_OWN_SPEC entry ("${NO_OWN_SPEC[rel]}")`);
      continue;
    }
    if (!specified) problems.push(`${rel} has no spec (expected ${relative(root, spec)})`);
  }
}

/** The one module that may pause or resume a socket. */
const READ_GATE = 'lib/server/read-gate.ts';
const pausePattern = /\.\s*(pause|resume)\s*\(/g;
for (const top of ['lib/server', 'lib/tls', 'lib/codec', 'compat']) {
  for (const file of walk(join(root, top))) {
    const rel = relative(root, file).split('\\').join('/');
    if (rel === READ_GATE) continue;
    const { bare } = stripSource(readFileSync(file, 'utf8'));
    for (const match of bare.matchAll(pausePattern)) {
      const line = bare.slice(0, match.index).split('\n').length;
      problems.push(`${rel}:${line} calls .${match[1]}(): only ${READ_GATE} decides reading`);
    }
  }
}

/**
 * The source with comments blanked (`code`, for the imports) and with strings, template text and
 * regular expressions blanked too (`bare`, for the calls). Blanks keep the length and the line
 * breaks, so positions still give line numbers. A small scanner, not a parser: enough for our
 * own TypeScript, where a `/` after a value is division and anywhere else starts a regex.
 */
function stripSource(text) {
  let code = '';
  let bare = '';
  const blank = (piece) => piece.replace(/[^\n]/g, ' ');
  const keep = (piece, inCode, inBare) => {
    code += inCode ? piece : blank(piece);
    bare += inBare ? piece : blank(piece);
  };
  /** Template literals nest through `${ … }`: the brace depth at which each one resumes. */
  const templates = [];
  let depth = 0;
  let last = ''; // the last significant character of code, to tell a regex from a division
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    let end = i + 1;
    if (c === '/' && next === '/') {
      end = text.indexOf('\n', i);
      if (end < 0) end = text.length;
      keep(text.slice(i, end), false, false);
    } else if (c === '/' && next === '*') {
      end = text.indexOf('*/', i + 2);
      end = end < 0 ? text.length : end + 2;
      keep(text.slice(i, end), false, false);
    } else if (c === '"' || c === "'") {
      end = skipQuoted(text, i, c);
      keep(text.slice(i, end), true, false);
      last = 'a';
    } else if (c === '`' || (c === '}' && templates.length > 0 && templates.at(-1) === depth)) {
      if (c === '}') templates.pop();
      end = skipTemplate(text, i + 1);
      if (text.startsWith('${', end - 2)) templates.push(depth);
      keep(text.slice(i, end), true, false);
      last = 'a';
    } else if (c === '/' && !/[\w$)\]]/.test(last)) {
      end = skipRegex(text, i);
      keep(text.slice(i, end), true, false);
      last = 'a';
    } else {
      if (c === '{') depth++;
      else if (c === '}') depth--;
      if (!/\s/.test(c)) last = c;
      keep(c, true, true);
    }
    i = end;
  }
  return { code, bare };
}

function skipQuoted(text, start, quote) {
  let i = start + 1;
  while (i < text.length && text[i] !== quote && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** From inside a template literal to just after its closing backtick or an opening `${`. */
function skipTemplate(text, start) {
  let i = start;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '`') return i + 1;
    else if (text[i] === '$' && text[i + 1] === '{') return i + 2;
    else i++;
  }
  return i;
}

function skipRegex(text, start) {
  let i = start + 1;
  let inClass = false;
  while (i < text.length && text[i] !== '\n') {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) break;
    i++;
  }
  i++;
  while (i < text.length && /[a-z]/.test(text[i])) i++; // flags
  return i;
}

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify(problems) + '\n');
} else {
  for (const problem of problems) console.log(problem);
}
process.exit(problems.length > 0 ? 1 : 0);
