// Rewrites the reviewed snapshots of the corpus: spec/fixtures/<name>.expected.mjs and .report.txt.
//   npm run snapshots -w wsserver-compat-port      (then read the diff before committing it)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatReport } from '../src/cli.mjs';
import { translate } from '../src/translate.mjs';

const dir = join(import.meta.dirname, 'fixtures');
for (const name of readdirSync(dir).filter((f) => f.endsWith('.php'))) {
  const { code, report } = translate(readFileSync(join(dir, name), 'utf8'), { filename: name });
  const base = name.replace(/\.php$/, '');
  writeFileSync(join(dir, `${base}.expected.mjs`), code);
  writeFileSync(join(dir, `${base}.report.txt`), `${formatReport(name, report)}\n`);
  console.log(`${name}: ${report.filter((r) => r.kind === 'todo').length} TODO, ${report.length} report lines`);
}
