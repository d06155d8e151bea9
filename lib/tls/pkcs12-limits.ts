/**
 * The caps that keep reading a PFX synchronous and fast whatever the file says. A PFX names its own
 * key-derivation work (iteration counts) and its own size (how many bags, attributes, safes), and it
 * is read on the event loop (SSLCertSubject searches the store at once, as the reference says), so a
 * 79-byte file asking for 2^40 MAC iterations would otherwise block the process for days.
 *
 * The iteration caps follow the published defaults of .NET's PKCS#12 loader (Pkcs12LoaderLimits
 * .Defaults: 300,000 per MAC or key derivation, 1,000,000 for the whole file, 200 keys, 200
 * certificates). They sit far above what the writers use by default — OpenSSL 2,048
 * (PKCS12_DEFAULT_ITER), Java keytool 10,000 (50,000 for keys and 100,000 for the MAC in its legacy
 * mode) — and below Java's hard cap of 5,000,000 per derivation (PKCS12KeyStore.MAX_ITERATION_COUNT);
 * OpenSSL itself has none (openssl/openssl#21103). At the caps the derivation work of a whole file
 * stays within a few seconds (the PKCS#12 KDF, which node:crypto lacks, runs one hash call per round).
 */
import { elements, type Element } from './asn1';

/** Why a PFX could not be read; `reason` tells the wrong password apart from the rest. */
export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
  constructor(
    /** 'limit': the file is over one of the caps of ./pkcs12-limits (the message names it). */
    readonly reason: 'password' | 'format' | 'unsupported' | 'limit',
    message: string,
  ) {
    super(message);
  }
}

export const Pkcs12Limits = Object.freeze({
  /** Iterations of one MAC key or one encryption key derivation (PKCS#12 KDF or PBKDF2). */
  maxIterations: 300_000,
  /** Iterations of every derivation of one file together (each password tried counts). */
  maxTotalIterations: 1_000_000,
  /** Certificates in one file. */
  maxCertificates: 200,
  /** Private keys in one file. */
  maxKeys: 200,
  /** ASN.1 elements the reader walks in one file (safes, bags, attributes; not inside keys and certificates). */
  maxElements: 100_000,
  /** SafeContents nested in safeContentsBags. */
  maxBagDepth: 8,
} as const);

export type Pkcs12Limit = keyof typeof Pkcs12Limits;

/** A file over one of the caps; `limit` names it. */
export class Pkcs12LimitError extends Error {
  override name = 'Pkcs12LimitError';
  constructor(
    readonly limit: Pkcs12Limit,
    message: string,
  ) {
    super(message);
  }
}

/** What one file has used of the caps so far. */
export class Pkcs12Budget {
  private iterations = 0;
  private walked = 0;
  private certificates = 0;
  private keys = 0;

  /**
   * Books one key derivation of `iterations` rounds, `times` times (once per password form tried),
   * before it runs: a count over a cap fails here, so no work is spent on it. Returns the count.
   */
  derivation(what: string, count: bigint, times = 1): number {
    const cap = Pkcs12Limits.maxIterations;
    if (count > BigInt(cap)) {
      throw new Pkcs12LimitError('maxIterations', `the ${what} iteration count ${count} is above the cap of ${cap} (Pkcs12Limits.maxIterations)`);
    }
    const iterations = Number(count);
    this.iterations += iterations * times;
    const total = Pkcs12Limits.maxTotalIterations;
    if (this.iterations > total) {
      throw new Pkcs12LimitError(
        'maxTotalIterations',
        `the key derivations of the file add up to ${this.iterations} iterations, above the cap of ${total} (Pkcs12Limits.maxTotalIterations)`,
      );
    }
    return iterations;
  }

  /** The elements inside `parent`, one at a time, each counted against maxElements. */
  *each(parent: Element | Buffer): Generator<Element, void, undefined> {
    for (const element of elements(parent)) {
      this.walk();
      yield element;
    }
  }

  /** The first `count` elements inside `parent` (fewer if it has fewer), counted; nothing after them is read. */
  fields(parent: Element | Buffer, count: number): Element[] {
    const list: Element[] = [];
    for (const element of this.each(parent)) {
      list.push(element);
      if (list.length === count) break;
    }
    return list;
  }

  certificate(): void {
    if (++this.certificates > Pkcs12Limits.maxCertificates) {
      throw new Pkcs12LimitError('maxCertificates', `the file holds more than ${Pkcs12Limits.maxCertificates} certificates (Pkcs12Limits.maxCertificates)`);
    }
  }

  key(): void {
    if (++this.keys > Pkcs12Limits.maxKeys) {
      throw new Pkcs12LimitError('maxKeys', `the file holds more than ${Pkcs12Limits.maxKeys} private keys (Pkcs12Limits.maxKeys)`);
    }
  }

  /** Checks the nesting of SafeContents (1 for the top level). */
  bagDepth(depth: number): void {
    if (depth > Pkcs12Limits.maxBagDepth) {
      throw new Pkcs12LimitError('maxBagDepth', `safe contents nest deeper than the cap of ${Pkcs12Limits.maxBagDepth} levels (Pkcs12Limits.maxBagDepth)`);
    }
  }

  private walk(): void {
    if (++this.walked > Pkcs12Limits.maxElements) {
      throw new Pkcs12LimitError('maxElements', `the file has more than ${Pkcs12Limits.maxElements} ASN.1 elements to read (Pkcs12Limits.maxElements)`);
    }
  }
}
