/**
 * The SSLCheckCRL specs' certificates and CRLs, made by `tools/make-test-certs.sh --crl` while the specs
 * run: the client certificates name a distribution point on a loopback HTTP server whose port is
 * known only then. Each call makes a fresh set in a temporary directory (removed by remove()).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The script, found from spec/ or from build/spec/. */
function script(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'tools/make-test-certs.sh'))) return join(dir, 'tools/make-test-certs.sh');
  }
  throw new Error('tools/make-test-certs.sh not found');
}

export interface CrlMaterial {
  readonly dir: string;
  /** The distribution point the client certificates name. */
  readonly url: string;
  path(name: string): string;
  text(name: string): string;
  bytes(name: string): Buffer;
  /** The DER of the first PEM block of a file. */
  der(name: string): Buffer;
  remove(): void;
}

export function makeCrlMaterial(url: string): CrlMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'wsserver-crl-'));
  const run = spawnSync('bash', [script(), '--crl', dir, url], { encoding: 'utf8' });
  if (run.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`make-test-certs.sh --crl failed (${run.status}): ${run.stderr}`);
  }
  const path = (name: string) => join(dir, name);
  const text = (name: string) => readFileSync(path(name), 'latin1');
  return {
    dir,
    url,
    path,
    text,
    bytes: (name) => readFileSync(path(name)),
    der: (name) => Buffer.from(text(name).split('-----')[2]!.replace(/\s/g, ''), 'base64'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
