// What every echo server of the benchmark shares: options, the throw-away certificate, the ready line
// and the control channel the driver uses.
//
// A server prints one JSON line on stdout once it listens: {"port":P,"pid":…} — or {"pending":"why"}
// and exits with code 3 when it cannot run the scenario yet (e.g. TLS not implemented). It then runs
// until killed. SIGTERM/SIGINT exit normally, so `node --cpu-prof` writes its profile.
// With BENCH_CONTROL=1 (set by bench/run.mjs) it also reads stdin: "mem" prints
// {"mem":{rss,heapUsed,…}} after a full GC (when started with --expose-gc), "heap <file>" writes a
// heap snapshot and prints {"heap":file}, and stdin closing ends the process (no orphan servers when
// the driver dies).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const args = {
  tls: process.argv.includes('--tls'),
  deflate: process.argv.includes('--deflate'),
  host: '127.0.0.1',
};

/** Where the package build lives (BENCH_DIST overrides dist/). */
export function distModule(name) {
  const dir = process.env.BENCH_DIST ? pathToFileURL(process.env.BENCH_DIST + '/') : new URL('../../dist/', import.meta.url);
  return new URL(name, dir).href;
}

/** The throw-away test certificate from spec/fixtures/tls/ (never a real key). */
export const certFiles = {
  keyAndCert: `${root}spec/fixtures/tls/server-rsa.key-and-cert.pem`,
  key: `${root}spec/fixtures/tls/server-rsa.key`,
  cert: `${root}spec/fixtures/tls/server-rsa.crt`,
};

export function tlsOptions() {
  if (!existsSync(certFiles.key) || !existsSync(certFiles.cert)) pending(`no test certificate at ${certFiles.key}`);
  return { key: readFileSync(certFiles.key), cert: readFileSync(certFiles.cert) };
}

export function pending(reason) {
  process.stdout.write(JSON.stringify({ pending: String(reason) }) + '\n');
  process.exit(3);
}

export function ready(port, info = {}) {
  process.stdout.write(JSON.stringify({ port, pid: process.pid, ...info }) + '\n');
  if (process.env.BENCH_CONTROL === '1') {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      const [command, arg] = line.trim().split(/\s+/);
      if (command === 'heap' && arg) {
        // A heap snapshot (bench/heap-summary.mjs reads it): what each connection keeps alive.
        const file = v8.writeHeapSnapshot(arg);
        process.stdout.write(JSON.stringify({ heap: file }) + '\n');
      }
      if (command === 'mem') {
        collectGarbage();
        process.stdout.write(JSON.stringify({ mem: process.memoryUsage() }) + '\n');
      }
    });
    lines.on('close', () => process.exit(0));
  }
}

/** Two full collections (Node with --expose-gc, or Bun), so that the figures are of live memory. */
function collectGarbage() {
  if (typeof globalThis.Bun !== 'undefined') {
    globalThis.Bun.gc(true);
    globalThis.Bun.gc(true);
  } else if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
