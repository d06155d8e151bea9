/**
 * Runs the case list against one echo server: a few cases at a time, each on fresh connections,
 * each under a hard time bound, every connection it opened destroyed afterwards.
 */
import { CaseFailure, Probe, type OpenOptions, type Transport } from './probe';
import type { CaseContext, CaseResult, ConformanceCase } from './case';
import type { EchoTarget } from './echo-servers';

export interface RunOptions {
  /** Cases in flight at once (default 8). */
  concurrency?: number;
  /** Only cases whose id starts with one of these prefixes (e.g. ['6.', '7.2']). */
  only?: string[];
}

/** Runs one case and classifies it; every connection goes over `transport` (plain TCP by default). */
export async function runCase(c: ConformanceCase, port: number, transport: Transport = {}): Promise<CaseResult> {
  const probes: Probe[] = [];
  const notes: string[] = [];
  const ctx: CaseContext = {
    port,
    async open(options?: OpenOptions) {
      const probe = await Probe.connect(port, transport);
      probes.push(probe);
      const answer = await probe.handshake(options);
      if (answer.status !== 101) throw new CaseFailure(`handshake refused with HTTP ${answer.status}`);
      return probe;
    },
    async connect() {
      const probe = await Probe.connect(port, transport);
      probes.push(probe);
      return probe;
    },
    note(reason: string) {
      notes.push(reason);
    },
  };
  const limit = c.timeoutMs ?? 10000;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let failure: string | null = null;
  try {
    await Promise.race([
      c.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CaseFailure(`case did not finish within ${limit} ms`)), limit);
      }),
    ]);
  } catch (error) {
    failure = error instanceof CaseFailure ? error.message : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
  } finally {
    clearTimeout(timer);
    for (const probe of probes) {
      notes.push(...probe.notes);
      if (failure === null && probe.afterClose.length > 0) failure = `the server sent frames after its close frame: ${probe.afterClose.join(', ')}`;
      probe.destroy();
    }
  }
  const base = { id: c.id, group: c.group, title: c.title, ms: Date.now() - started };
  if (failure !== null) return { ...base, verdict: 'FAILED', reason: failure };
  if (notes.length > 0) return { ...base, verdict: 'NON-STRICT', reason: [...new Set(notes)].join('; ') };
  return { ...base, verdict: 'OK', reason: '' };
}

/** Runs the cases against a target; results come back in case-list order. */
export async function runSuite(target: EchoTarget, cases: readonly ConformanceCase[], options: RunOptions = {}): Promise<CaseResult[]> {
  const selected = options.only ? cases.filter((c) => options.only!.some((prefix) => c.id === prefix || c.id.startsWith(prefix))) : [...cases];
  const results = new Array<CaseResult>(selected.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < selected.length) {
      const index = nextIndex++;
      results[index] = await runCase(selected[index]!, target.port, target.transport);
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, options.concurrency ?? 8); i++) workers.push(worker());
  await Promise.all(workers);
  return results;
}
