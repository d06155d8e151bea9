/**
 * Running the suite against both servers in one go, and writing what came out: a summary per
 * group, the cases that were not OK with their reasons, and the full table — as Markdown for
 * build/conformance-report.md and as plain lines for the console.
 */
import type { CaseResult, ConformanceCase, Verdict } from './case';
import { allCases } from './cases/index';
import { startOurEcho, startWsEcho } from './echo-servers';
import { KNOWN_FAILURES, REFERENCE_DEVIATIONS } from './known-failures';
import { runSuite, type RunOptions } from './runner';

export interface ConformanceRun {
  cases: ConformanceCase[];
  ours: CaseResult[];
  ws: CaseResult[];
  ms: number;
  /** The scheme both servers were reached with. */
  transport: 'ws' | 'wss';
}

export interface ConformanceOptions extends RunOptions {
  /** Run over TLS: both servers listen with the test certificate, every probe connects with TLS. */
  tls?: boolean;
}

/** Starts both echo servers, runs the (selected) cases against each, stops them. */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceRun> {
  const cases = allCases();
  const started = Date.now();
  const tls = options.tls === true;
  const ours = await startOurEcho({ tls });
  const ws = await startWsEcho('reference', { tls });
  try {
    // One server at a time: timing-based checks (fail-fast, close bounds) should not compete for the CPU.
    const oursResults = await runSuite(ours, cases, options);
    const wsResults = await runSuite(ws, cases, options);
    return { cases, ours: oursResults, ws: wsResults, ms: Date.now() - started, transport: tls ? 'wss' : 'ws' };
  } finally {
    await ours.stop();
    await ws.stop();
  }
}

/**
 * What makes the run red: our FAILED cases not in KNOWN_FAILURES, reference FAILED cases not in
 * REFERENCE_DEVIATIONS, and entries of either list that no longer fail (or name no case).
 */
export function unexpectedResults(run: ConformanceRun): { ours: string[]; reference: string[] } {
  const ids = new Set(run.cases.map((c) => c.id));
  return {
    ours: compare(run.ours, KNOWN_FAILURES, 'ours', ids),
    reference: compare(run.ws, REFERENCE_DEVIATIONS, 'ws', ids),
  };
}

function compare(results: CaseResult[], expected: Readonly<Record<string, string>>, who: string, ids: Set<string>): string[] {
  const problems: string[] = [];
  for (const r of results) {
    if (r.verdict === 'FAILED' && !(r.id in expected)) problems.push(`${who} ${r.id} FAILED: ${r.reason}`);
    if (r.verdict !== 'FAILED' && r.id in expected) problems.push(`${who} ${r.id} is listed as failing but is ${r.verdict}: remove it from the list`);
  }
  for (const id of Object.keys(expected)) if (!ids.has(id)) problems.push(`${who} ${id} is listed but no such case exists`);
  return problems;
}

function tally(results: CaseResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { OK: 0, 'NON-STRICT': 0, FAILED: 0 };
  for (const r of results) counts[r.verdict]++;
  return counts;
}

function transportText(run: ConformanceRun): string {
  return run.transport === 'wss' ? 'over TLS (wss://; ws on node:https)' : 'over plain TCP (ws://)';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function verdictCell(r: CaseResult | undefined, known: Readonly<Record<string, string>>): string {
  if (!r) return '—';
  if (r.verdict === 'FAILED' && r.id in known) return 'FAILED (known)';
  return r.verdict;
}

/** The Markdown report. */
export function formatMarkdown(run: ConformanceRun, meta: { node: string; wsVersion: string }): string {
  const lines: string[] = [];
  const ours = tally(run.ours);
  const ws = tally(run.ws);
  lines.push('# Conformance report', '');
  lines.push(
    `${run.ours.length} cases (RFC 6455 / RFC 7692, grouped like the public Autobahn case list) against our echo server ` +
      `(WSServer, BufferMessage=true) and the reference \`ws\` ${meta.wsVersion}, ${transportText(run)}, Node.js ${meta.node}, ${(run.ms / 1000).toFixed(1)} s.`,
    '',
  );
  lines.push('OK: the strict expectation held. NON-STRICT: allowed by the RFC but weaker (reason given). FAILED: the RFC was broken or the bound was missed.', '');
  lines.push('## Summary', '');
  lines.push('| server | OK | NON-STRICT | FAILED |', '| --- | ---: | ---: | ---: |');
  lines.push(`| ours | ${ours.OK} | ${ours['NON-STRICT']} | ${ours.FAILED} |`);
  lines.push(`| ws | ${ws.OK} | ${ws['NON-STRICT']} | ${ws.FAILED} |`, '');
  lines.push('| group | cases | ours OK | ours NON-STRICT | ours FAILED | ws OK | ws NON-STRICT | ws FAILED |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const groups = [...new Set(run.ours.map((r) => r.group))];
  for (const group of groups) {
    const o = tally(run.ours.filter((r) => r.group === group));
    const w = tally(run.ws.filter((r) => r.group === group));
    const count = run.ours.filter((r) => r.group === group).length;
    lines.push(`| ${group} | ${count} | ${o.OK} | ${o['NON-STRICT']} | ${o.FAILED} | ${w.OK} | ${w['NON-STRICT']} | ${w.FAILED} |`);
  }
  lines.push('', '## Cases that were not OK on either server', '');
  lines.push('| case | title | ours | ws |', '| --- | --- | --- | --- |');
  const wsById = new Map(run.ws.map((r) => [r.id, r]));
  let any = false;
  for (const r of run.ours) {
    const w = wsById.get(r.id);
    if (r.verdict === 'OK' && (!w || w.verdict === 'OK')) continue;
    any = true;
    const o = r.verdict === 'OK' ? 'OK' : `${verdictCell(r, KNOWN_FAILURES)}: ${cell(r.reason)}`;
    const wsText = !w ? '—' : w.verdict === 'OK' ? 'OK' : `${verdictCell(w, REFERENCE_DEVIATIONS)}: ${cell(w.reason)}`;
    lines.push(`| ${r.id} | ${cell(r.title)} | ${o} | ${wsText} |`);
  }
  if (!any) lines.push('| — | every case OK on both | | |');
  const notes = [...Object.entries(KNOWN_FAILURES).map(([id, why]) => `- ours ${id}: ${why}`), ...Object.entries(REFERENCE_DEVIATIONS).map(([id, why]) => `- ws ${id}: ${why}`)];
  if (notes.length > 0) lines.push('', '## Known failures and reference deviations', '', ...notes);
  lines.push('', '## All cases', '', '| case | group | title | ours | ws | ms (ours / ws) |', '| --- | --- | --- | --- | --- | ---: |');
  for (const r of run.ours) {
    const w = wsById.get(r.id);
    lines.push(`| ${r.id} | ${r.group} | ${cell(r.title)} | ${verdictCell(r, KNOWN_FAILURES)} | ${verdictCell(w, REFERENCE_DEVIATIONS)} | ${r.ms} / ${w?.ms ?? '—'} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A few lines for the console: totals per group, then every case of ours that was not OK and every
 * reference case that FAILED (with `verbose`, the reference's NON-STRICT cases too).
 */
export function formatConsole(run: ConformanceRun, verbose = false): string {
  const lines: string[] = [];
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  lines.push(`${pad('group', 22)}${pad('cases', 7)}${pad('ours OK/NS/FAIL', 18)}ws OK/NS/FAIL`);
  const groups = [...new Set(run.ours.map((r) => r.group))];
  for (const group of [...groups, 'all']) {
    const o = tally(group === 'all' ? run.ours : run.ours.filter((r) => r.group === group));
    const w = tally(group === 'all' ? run.ws : run.ws.filter((r) => r.group === group));
    const count = group === 'all' ? run.ours.length : run.ours.filter((r) => r.group === group).length;
    lines.push(`${pad(group, 22)}${pad(count, 7)}${pad(`${o.OK}/${o['NON-STRICT']}/${o.FAILED}`, 18)}${w.OK}/${w['NON-STRICT']}/${w.FAILED}`);
  }
  for (const [who, results] of [
    ['ours', run.ours],
    ['ws', run.ws],
  ] as const) {
    for (const r of results) {
      const shown = who === 'ours' || verbose ? r.verdict !== 'OK' : r.verdict === 'FAILED';
      if (shown) lines.push(`  ${who} ${r.id} ${r.verdict}: ${r.title} — ${r.reason}`);
    }
  }
  lines.push(`${run.ours.length + run.ws.length} case runs ${transportText(run)} in ${(run.ms / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
