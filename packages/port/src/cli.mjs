#!/usr/bin/env node
// wsserver-compat-port script.php [-o script.mjs] [--check]
//   writes the ES module next to the script (script.mjs) or to -o (`-o -` for standard output), and
//   the report on stderr: one line per change a reviewer should know about and per construct left
//   as a TODO(port) comment.
//   --check writes nothing and exits 1 when anything could not be translated (for CI over a folder).
// Exit codes: 0 done, 1 something left untranslated (--check only), 2 usage or file errors.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { translate } from './translate.mjs';

export function formatReport(file, report) {
  return report
    .slice()
    .sort((a, b) => a.line - b.line)
    .map((r) => `${file}:${r.line}: ${r.kind === 'todo' ? 'TODO(port)' : 'changed'} ${r.construct}: ${r.why}`)
    .join('\n');
}

export function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const files = [];
  let output = null;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') check = true;
    else if (a === '-o' || a === '--output') output = argv[++i];
    else if (a === '-h' || a === '--help') {
      stdout.write('usage: wsserver-compat-port script.php [-o script.mjs] [--check]\n       wsserver-compat-port --check a.php b.php …\n');
      return 0;
    } else if (a === 'port' && files.length === 0 && i === 0) continue; // `wsserver-compat port x.php`
    else if (a.startsWith('-') && a !== '-') {
      stderr.write(`wsserver-compat-port: unknown option ${a}\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0 || (output && files.length > 1) || (!output && output !== null)) {
    stderr.write('usage: wsserver-compat-port script.php [-o script.mjs] [--check]\n');
    return 2;
  }
  let left = 0;
  for (const file of files) {
    let source;
    try {
      source = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (error) {
      stderr.write(`wsserver-compat-port: cannot read ${file}: ${error.message}\n`);
      return 2;
    }
    const { code, report } = translate(source, { filename: basename(file) });
    const lines = formatReport(file, report);
    if (lines) stderr.write(`${lines}\n`);
    const todos = report.filter((r) => r.kind === 'todo').length;
    left += todos;
    if (check) continue;
    const target = output ?? (file === '-' ? '-' : file.replace(/\.php$/i, '') + '.mjs');
    if (target === '-') stdout.write(code);
    else writeFileSync(target, code);
    stderr.write(`${file}: ${todos ? `${todos} construct${todos === 1 ? '' : 's'} left as TODO(port)` : 'translated'} -> ${target}\n`);
  }
  if (check) {
    stderr.write(`${files.length} script${files.length === 1 ? '' : 's'} checked, ${left} construct${left === 1 ? '' : 's'} left untranslated\n`);
    return left ? 1 : 0;
  }
  return 0;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
