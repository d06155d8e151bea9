// Quick edit-test loop: transpile lib/, compat/ and spec/ into build/ and run only the named specs.
//   node tools/spec.mjs spec/protocol/frame-parser.spec.ts [more specs…] [-- mocha options]
// `npm test` remains the full run (typecheck, dist build, every spec).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSpecs } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const specs = (split === -1 ? argv : argv.slice(0, split)).map((f) => join('build', f.replace(/\.ts$/, '.js')));
const extra = split === -1 ? [] : argv.slice(split + 1);

await buildSpecs({ clean: false });
const mocha = join(root, 'node_modules/mocha/bin/mocha.js');
const result = spawnSync(process.execPath, [mocha, '--no-config', '--timeout', '20000', '--exit', '--reporter', 'spec', ...extra, ...specs], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
