/**
 * SSLCheckCRL for client certificates: whether the leaf certificate is revoked, from the CRLs the
 * application supplied (SSLLocalCRLs) or, failing those, from the CRL distribution points the
 * certificate names (fetched over HTTP, cached until their nextUpdate). A CRL counts only when its
 * issuer is the certificate's issuer, that issuer's key signed it, it is current and complete.
 *
 * Only the leaf is checked (as OpenSSL's X509_V_FLAG_CRL_CHECK does): intermediates a client sends are
 * the CA's business. The answer is one of good, revoked or unknown (with the reason); what unknown
 * means is SSLCheckCRL's mode, applied by client-auth.ts.
 */
import { X509Certificate } from 'node:crypto';
import { CRL_SIGN, revocationFields, type RevocationFields } from './cert-extensions';
import { crlSignedBy, crlsFrom, crlTimeProblem, parseCrl, type Crl, type RevokedEntry } from './crl';
import { fetchCrl } from './crl-fetch';

/** A CRL the application supplied, and where it came from (for messages). */
export interface LocalCrl {
  readonly crl: Crl;
  readonly origin: string;
}

export type Revocation =
  | { readonly state: 'good'; readonly source: string }
  | { readonly state: 'revoked'; readonly serial: string; readonly entry: RevokedEntry; readonly source: string }
  | { readonly state: 'unknown'; readonly reason: string };

/** A fetch of one distribution point: (url, time limit in ms) → the body. */
export type CrlFetcher = (url: string, timeoutMs: number) => Promise<Buffer>;

/** Longest a fetch may take when the handshake has no deadline of its own (HandshakeTimeout 0). */
export const FETCH_TIMEOUT_MS = 15_000;
/** How long a fetched CRL without nextUpdate is kept before it is fetched again. */
export const NO_NEXT_UPDATE_KEEP_MS = 60 * 60 * 1000;
/** Distribution points remembered at once; certificates reach here only once their issuer is trusted. */
const MAX_CACHED = 64;

interface Cached {
  readonly crl: Crl;
  readonly until: number;
}

export class RevocationChecker {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  /** Signatures already checked, per CRL: the issuers' fingerprints. */
  private readonly verified = new WeakMap<Crl, Set<string>>();
  private readonly trusted: readonly X509Certificate[];

  constructor(
    private readonly local: readonly LocalCrl[],
    trustedCAs: readonly Buffer[],
    private readonly fetcher: CrlFetcher = fetchCrl,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.trusted = trustedCAs.flatMap((der) => {
      try {
        return [new X509Certificate(der)];
      } catch {
        return [];
      }
    });
  }

  /**
   * Checks `chain[0]` (DER, leaf first, as the client sent it). `chainVerified`: OpenSSL verified the
   * chain, so an issuer from it may be believed; otherwise only a configured CA counts as issuer, and
   * nothing a stranger's certificate names is ever fetched. `budgetMs` bounds any fetch.
   */
  async check(chain: readonly Buffer[], chainVerified: boolean, budgetMs: number | null): Promise<Revocation> {
    try {
      return await this.checkLeaf(chain, chainVerified, budgetMs);
    } catch (error) {
      // A certificate or CRL this code cannot read: unknown, and SSLCheckCRL's mode decides.
      return { state: 'unknown', reason: `the check failed (${(error as Error).message})` };
    }
  }

  private async checkLeaf(chain: readonly Buffer[], chainVerified: boolean, budgetMs: number | null): Promise<Revocation> {
    let leaf: X509Certificate;
    let fields: RevocationFields;
    try {
      leaf = new X509Certificate(chain[0]!);
      fields = revocationFields(chain[0]!);
    } catch (error) {
      return { state: 'unknown', reason: `the certificate cannot be read (${(error as Error).message})` };
    }
    const issuer = this.issuerOf(leaf, chain, chainVerified);
    if (!issuer) return { state: 'unknown', reason: "the issuer's certificate is not among the trusted ones, so no CRL can be checked" };
    const issuerFields = revocationFields(issuer.raw);
    if (issuerFields.keyUsage && !issuerFields.keyUsage.has(CRL_SIGN)) return { state: 'unknown', reason: `the issuer (${issuer.subject.replace(/\n/g, ', ')}) may not sign CRLs (no cRLSign key usage)` };
    const serial = normalSerial(leaf.serialNumber);
    const judge = (crl: Crl, source: string): Revocation => {
      const entry = crl.revoked.get(serial);
      // removeFromCRL only undoes a hold in a delta CRL, which is never used here.
      return entry && entry.reason !== 'removeFromCRL' ? { state: 'revoked', serial, entry, source } : { state: 'good', source };
    };

    const problems: string[] = [];
    for (const { crl, origin } of this.local) {
      if (!crl.issuer.equals(fields.issuer)) continue;
      const problem = this.problemWith(crl, issuer, fields);
      if (problem) problems.push(`${origin}: ${problem}`);
      else return judge(crl, origin);
    }
    if (fields.distributionPoints.length === 0) {
      problems.push(this.local.length > 0 ? 'the certificate names no http: CRL distribution point' : 'the certificate names no http: CRL distribution point and SSLLocalCRLs holds no CRL of its issuer');
      return { state: 'unknown', reason: problems.join('; ') };
    }
    for (const url of fields.distributionPoints) {
      const cached = this.cache.get(url);
      if (cached && cached.until > this.now().getTime() && !this.problemWith(cached.crl, issuer, fields)) return judge(cached.crl, `the CRL from ${url}`);
      let body: Buffer;
      try {
        body = await this.fetch(url, budgetMs === null ? FETCH_TIMEOUT_MS : Math.min(FETCH_TIMEOUT_MS, Math.max(1, budgetMs)));
      } catch (error) {
        problems.push(`${url}: ${(error as Error).message}`);
        continue;
      }
      let crl: Crl;
      try {
        crl = parseCrl(crlsFrom(body)[0]!);
      } catch (error) {
        problems.push(`${url}: ${(error as Error).message}`);
        continue;
      }
      const problem = crl.issuer.equals(fields.issuer) ? this.problemWith(crl, issuer, fields) : 'the CRL is from another issuer';
      if (problem) {
        problems.push(`${url}: ${problem}`);
        continue;
      }
      this.remember(url, crl);
      return judge(crl, `the CRL from ${url}`);
    }
    return { state: 'unknown', reason: problems.join('; ') };
  }

  /** The leaf's issuer: a configured CA, or (when OpenSSL verified the chain) a certificate of the chain. */
  private issuerOf(leaf: X509Certificate, chain: readonly Buffer[], chainVerified: boolean): X509Certificate | null {
    const candidates: X509Certificate[] = [...this.trusted];
    if (chainVerified) {
      for (const der of chain.slice(1)) {
        try {
          candidates.push(new X509Certificate(der));
        } catch {
          // OpenSSL read it; a certificate this code cannot read is simply not a candidate.
        }
      }
    }
    return candidates.find((candidate) => leaf.checkIssued(candidate) && leaf.verify(candidate.publicKey)) ?? null;
  }

  /** Why `crl` cannot answer for the certificate (null when it can). */
  private problemWith(crl: Crl, issuer: X509Certificate, fields: RevocationFields): string | null {
    if (crl.unusable) return `the CRL cannot be used: ${crl.unusable}`;
    const when = crlTimeProblem(crl, this.now());
    if (when) return `the CRL is not current: ${when}`;
    // RFC 5280 §5.2.5: a CRL for one distribution point covers only the certificates that name it.
    if (crl.scope && !crl.scope.some((uri) => fields.distributionPoints.includes(uri))) return 'the CRL covers another distribution point';
    let checked = this.verified.get(crl);
    if (!checked?.has(issuer.fingerprint256)) {
      let signed: boolean;
      try {
        signed = crlSignedBy(crl, issuer);
      } catch (error) {
        return (error as Error).message;
      }
      if (!signed) return "the CRL's signature does not verify with the issuer's key";
      if (!checked) this.verified.set(crl, (checked = new Set()));
      checked.add(issuer.fingerprint256);
    }
    return null;
  }

  /** One fetch per distribution point at a time, whatever the number of handshakes waiting for it. */
  private fetch(url: string, timeoutMs: number): Promise<Buffer> {
    const running = this.inFlight.get(url);
    if (running) return running;
    const started = this.fetcher(url, timeoutMs).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, started);
    return started;
  }

  private remember(url: string, crl: Crl): void {
    const until = crl.nextUpdate ? crl.nextUpdate.getTime() : this.now().getTime() + NO_NEXT_UPDATE_KEEP_MS;
    this.cache.delete(url);
    this.cache.set(url, { crl, until });
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** Serial numbers as CRL entries hold them: upper-case hex without leading zeros. */
function normalSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/**
 * Reads SSLLocalCRLs: PEM CRLs themselves, or a semicolon-separated list of files (PEM or DER).
 * Throws an Error naming the file or block that is not a CRL.
 */
export function readLocalCrls(value: string, readFile: (path: string) => Buffer): LocalCrl[] {
  if (value.trim() === '') return [];
  if (value.includes('-----BEGIN X509 CRL-----')) {
    return crlsFrom(Buffer.from(value, 'latin1')).map((der, i) => ({ crl: parseCrlNamed(der, `CRL ${i + 1}`), origin: `SSLLocalCRLs CRL ${i + 1}` }));
  }
  const out: LocalCrl[] = [];
  for (const path of value.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
    let bytes: Buffer;
    try {
      bytes = readFile(path);
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as Error).message}`);
    }
    const ders = crlsFrom(bytes);
    ders.forEach((der, i) => out.push({ crl: parseCrlNamed(der, ders.length > 1 ? `${path} (CRL ${i + 1})` : path), origin: `the local CRL ${path}` }));
  }
  return out;
}

function parseCrlNamed(der: Buffer, name: string): Crl {
  try {
    return parseCrl(der);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}
