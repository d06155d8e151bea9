/**
 * What a conformance case is and what it reports. A case opens one or more connections through its
 * context, drives them, and either returns (OK, or NON-STRICT when notes were recorded) or throws
 * (FAILED). The expected outcome is always strict — the echo, or a close with one exact code,
 * within a bound — and anything weaker that the RFC still allows becomes a NON-STRICT note.
 */
import { Probe, type OpenOptions } from './probe';

export type Verdict = 'OK' | 'NON-STRICT' | 'FAILED';

export interface CaseContext {
  /** Port of the echo server under test (127.0.0.1). */
  readonly port: number;
  /** A connection with a completed handshake (a refusal is FAILED). */
  open(options?: OpenOptions): Promise<Probe>;
  /** A TCP connection without a handshake, for cases about the handshake itself. */
  connect(): Promise<Probe>;
  /** Records a NON-STRICT note for the case. */
  note(reason: string): void;
}

export interface ConformanceCase {
  /** Dotted id, grouped like the public Autobahn case list (1 framing, 2 pings, …). */
  readonly id: string;
  readonly group: string;
  readonly title: string;
  /** Hard bound for the whole case (default 10 s). */
  readonly timeoutMs?: number;
  run(ctx: CaseContext): Promise<void>;
}

export interface CaseResult {
  id: string;
  group: string;
  title: string;
  verdict: Verdict;
  /** Why it was not OK (empty for OK). */
  reason: string;
  ms: number;
}

/** Builds a case list entry. */
export function defineCase(id: string, group: string, title: string, run: (ctx: CaseContext) => Promise<void>, timeoutMs?: number): ConformanceCase {
  return { id, group, title, run, timeoutMs };
}
