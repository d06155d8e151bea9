// Checks the architecture rules that the file list alone cannot enforce:
//   1. nothing under lib/protocol imports an I/O module (the core is sans-I/O);
//   2. every module under lib/ and compat/ has a spec under spec/ with the same path, unless it is
//      listed below with the reason it has none.
// Prints the problems and exits 1 when there are any.  `--json` prints them as JSON instead.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? process.argv[rootArg + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules that may import only pure things. */
const SANS_IO = 'lib/protocol';
const IO_MODULES = ['net', 'tls', 'fs', 'fs/promises', 'http', 'https', 'http2', 'dgram', 'child_process', 'cluster', 'worker_threads'];

/** Modules without a spec file of their own, and why. */
const NO_OWN_SPEC = {
  'lib/index.ts': 're-exports only',
  'compat/index.ts': 're-exports only',
  'compat/ids.ts': 'generated; checked by spec/tools/gen-api.spec.ts and spec/compat/tables.spec.ts',
  'lib/generated/api.ts': 'generated; checked by spec/tools/gen-api.spec.ts and spec/compat/tables.spec.ts',
  'lib/protocol/constants.ts': 'tables; spec/protocol/constants.spec.ts',
  'lib/protocol/errors.ts': 'error classes; asserted by every protocol spec',
  'lib/protocol/frame.ts': 'tested with the parser in spec/protocol/frame-parser.spec.ts',
  'lib/server/errors.ts': 'error class; asserted by every engine and compat spec',
  'lib/server/events.ts': 'payload types; asserted by spec/server/ws-server.events.spec.ts',
  'lib/server/settings.ts': 'config store; spec/server/ws-server.config.spec.ts',
  'lib/server/ws-connection.ts': 'driven through WSServer in spec/server/*',
  'compat/compat-server.ts': 'driven through the procedural face in spec/compat/*',
  'compat/handle-table.ts': 'driven through the procedural face in spec/compat/*',
  'compat/errors.ts': 'asserted by spec/compat/errors.spec.ts',
  'compat/events.ts': 'spec/compat/events.spec.ts',
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
const importPattern = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

for (const file of walk(join(root, SANS_IO))) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(importPattern)) {
    const spec = (match[1] ?? match[2] ?? match[3]).replace(/^node:/, '');
    if (IO_MODULES.includes(spec)) problems.push(`${relative(root, file)} imports ${spec}: lib/protocol must stay free of I/O`);
  }
}

for (const top of ['lib', 'compat']) {
  for (const file of walk(join(root, top))) {
    const rel = relative(root, file).split('\\').join('/');
    if (NO_OWN_SPEC[rel]) continue;
    const spec = join(root, 'spec', rel.replace(/^lib\//, '').replace(/\.ts$/, '.spec.ts'));
    const specCompat = join(root, 'spec', rel.replace(/\.ts$/, '.spec.ts'));
    if (!hasSpec(spec) && !hasSpec(specCompat)) problems.push(`${rel} has no spec (expected ${relative(root, spec)})`);
  }
}

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify(problems) + '\n');
} else {
  for (const problem of problems) console.log(problem);
}
process.exit(problems.length > 0 ? 1 : 0);
