/**
 * The conformance suite from the command line (after `node tools/build.mjs --specs-only`):
 *   node build/spec/conformance/run.js [--only 6.,7.2] [--concurrency 8] [--tls]
 * Runs every case against our echo server and the `ws` reference, prints the summary, writes
 * build/conformance-report.md (build/conformance-report-wss.md with --tls: both servers over TLS),
 * and exits 1 when a case fails unexpectedly (see known-failures.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConsole, formatMarkdown, runConformance, unexpectedResults, type ConformanceRun } from './report';

/** The repository root, from build/spec/conformance/ (compiled) or spec/conformance/ (source). */
export const ROOT = join(__dirname, __dirname.includes(`${join('build', 'spec')}`) ? '../../..' : '../..');

/** Writes build/conformance-report.md (-wss.md for a run over TLS) and returns its path. */
export function writeReport(run: ConformanceRun): string {
  const wsVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/ws/package.json'), 'utf8')) as { version: string }).version;
  const file = join(ROOT, 'build', run.transport === 'wss' ? 'conformance-report-wss.md' : 'conformance-report.md');
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  writeFileSync(file, formatMarkdown(run, { node: process.version, wsVersion }));
  return file;
}

async function main(argv: string[]): Promise<number> {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const only = value('--only')?.split(',').filter(Boolean);
  const concurrency = value('--concurrency') ? Number(value('--concurrency')) : undefined;
  const run = await runConformance({ only, concurrency, tls: argv.includes('--tls') });
  console.log(formatConsole(run, true));
  const file = writeReport(run);
  console.log(`report: ${file}`);
  const problems = unexpectedResults(run);
  // A partial run (--only) cannot judge list entries for cases it skipped.
  const relevant = only ? [...problems.ours, ...problems.reference].filter((p) => !p.includes('no such case') && !p.includes('listed as failing but is —')) : [...problems.ours, ...problems.reference];
  for (const problem of relevant) console.log(`UNEXPECTED ${problem}`);
  return relevant.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(2);
    },
  );
}
