// Micro-benchmark of the sans-I/O protocol core: the frame parser, the connection (parser + UTF-8 +
// message delivery) and the serializer on fixed frame sets, without sockets, so that a regression in
// the core shows without the network; plus the permessage-deflate codec of lib/codec on 1 KiB
// messages, whose synchronous fast path is what keeps small compressed messages off the thread pool.
//
//   node bench/core.mjs [--time 1] [--case parse-125,…] [--json file] [--build-dir build]
//
// The core is bundled on the fly with esbuild from lib/protocol/*.ts and lib/codec/*.ts into a temporary
// directory (--build-dir build imports build/lib/…/*.js from `node tools/build.mjs --specs` instead).
// Input frames are client frames (masked). The parser unmasks in place, so each pass first restores
// the input from a pristine copy: the "memcpy" row is that copy alone, to subtract.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const opts = parseArgs(process.argv.slice(2), { time: 1, case: '', json: '', 'build-dir': '' });

const core = await loadCore();
const { FrameParser, ServerConnection, formatMessage, formatFrame, applyMask, Utf8Validator, PerMessageDeflate } = core;

// ─── Fixed inputs ───────────────────────────────────────────────────────────────────────────────

const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const CHUNK = 64 * 1024; // what a socket read typically delivers

function payloadOf(size, text) {
  const out = Buffer.allocUnsafe(size);
  const words = 'the quick brown fox jumps over lazy dogs while websocket frames fly by ';
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    if (text) out[i] = words.charCodeAt(i % words.length);
    else {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
  }
  return out;
}

/** `count` masked frames of `size` bytes back to back, and that stream cut into socket-sized chunks. */
function frameSet(size, count, text) {
  const frame = formatFrame(text ? 1 : 2, payloadOf(size, text), { mask: MASK });
  const pristine = Buffer.alloc(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(pristine, i * frame.length);
  const work = Buffer.alloc(pristine.length);
  const chunks = [];
  for (let at = 0; at < work.length; at += CHUNK) chunks.push(work.subarray(at, Math.min(work.length, at + CHUNK)));
  return { pristine, work, chunks, frames: count, bytes: size * count };
}

const SETS = {
  32: frameSet(32, 16384, false),
  125: frameSet(125, 8192, false),
  '125text': frameSet(125, 8192, true),
  '64k': frameSet(65536, 16, false),
  '1m': frameSet(1048576, 2, false),
};

// ─── Cases ──────────────────────────────────────────────────────────────────────────────────────

const noopFrameHandler = { onFrameStart() {}, onFramePayload() {} };

function parserCase(set) {
  return {
    unit: set.frames,
    bytes: set.bytes,
    run() {
      set.work.set(set.pristine);
      const parser = new FrameParser(noopFrameHandler);
      for (const chunk of set.chunks) parser.push(chunk);
    },
  };
}

function connectionCase(set) {
  let delivered = 0;
  const handler = {
    write() {},
    onData() {
      delivered++;
    },
    onPing() {},
    onPong() {},
    onPeerClose() {},
    onProtocolError(error) {
      throw error;
    },
  };
  return {
    unit: set.frames,
    bytes: set.bytes,
    run() {
      set.work.set(set.pristine);
      const connection = new ServerConnection(handler, { bufferMessages: true });
      for (const chunk of set.chunks) connection.receiveData(chunk);
    },
    check() {
      if (delivered === 0) throw new Error('no message delivered');
    },
  };
}

function serializeCase(size, count) {
  const payload = payloadOf(size, false);
  let sink = 0;
  return {
    unit: count,
    bytes: size * count,
    run() {
      for (let i = 0; i < count; i++) sink += formatMessage(2, payload, 262144).length;
    },
    check() {
      if (sink === 0) throw new Error('nothing serialized');
    },
  };
}

function sendCase(size, count) {
  const payload = payloadOf(size, false);
  let written = 0;
  const handler = {
    write(data) {
      written += data.length;
    },
    onData() {},
    onPing() {},
    onPong() {},
    onPeerClose() {},
    onProtocolError() {},
  };
  const connection = new ServerConnection(handler, {});
  return {
    unit: count,
    bytes: size * count,
    run() {
      for (let i = 0; i < count; i++) connection.send(2, payload);
    },
    check() {
      if (written === 0) throw new Error('nothing written');
    },
  };
}

// The codec's cases run only while it answers synchronously (the fast path): the measuring loop is
// synchronous, and an asynchronous answer means the fast path was lost, which check() reports.
const DEFLATE_PARAMS = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

/** JSON-like text, compressible but not trivially (what chat and game messages look like). */
function jsonPayload(size) {
  let text = '';
  for (let i = 0; text.length < size; i++) text += JSON.stringify({ id: (i * 2654435761) >>> 0, user: `user${i % 97}`, score: (i * 7919) % 10007 });
  return Buffer.from(text.slice(0, size));
}

/** Calls `call(callback)` `count` times; counts the answers that came before the call returned. */
function codecCase(count, bytes, call) {
  let async = 0;
  let failed = null;
  return {
    unit: count,
    bytes: bytes * count,
    run() {
      for (let i = 0; i < count; i++) {
        let answered = false;
        call((error) => {
          if (error) failed = error;
          answered = true;
        });
        if (!answered) async++;
      }
    },
    check() {
      if (failed) throw failed;
      if (async > 0) throw new Error(`${async} codec calls were answered asynchronously: the synchronous fast path is off`);
    },
  };
}

function deflateCase(size) {
  // Without context takeover every message costs the same (with it, a repeated message shrinks to a back-reference).
  const codec = new PerMessageDeflate(DEFLATE_PARAMS);
  const data = jsonPayload(size);
  return codecCase(100, size, (callback) => codec.compress(data, callback));
}

function inflateCase(size) {
  const codec = new PerMessageDeflate(DEFLATE_PARAMS);
  let compressed = null;
  new PerMessageDeflate(DEFLATE_PARAMS).compress(jsonPayload(size), (error, result) => (compressed = result));
  if (compressed === null) throw new Error('the codec did not answer synchronously');
  return codecCase(100, size, (callback) => codec.decompress(compressed, true, callback));
}

function sendDeflateCase(size) {
  // The whole send path: ServerConnection → codec → frame.
  let written = 0;
  const handler = { write: (data) => (written += data.length), onData() {}, onPing() {}, onPong() {}, onPeerClose() {}, onProtocolError() {} };
  const connection = new ServerConnection(handler, { deflate: new PerMessageDeflate(DEFLATE_PARAMS) });
  const data = jsonPayload(size);
  const count = 100;
  return {
    unit: count,
    bytes: size * count,
    run() {
      const before = written;
      for (let i = 0; i < count; i++) connection.send(1, data);
      if (written === before || connection.hasQueuedOutput) throw new Error('the compression was not synchronous: the fast path is off');
    },
  };
}

const CASES = {
  // The restore step of the 125-B set alone, per frame: subtract it from parse-125/receive-125-*.
  memcpy: { unit: SETS[125].frames, bytes: SETS[125].pristine.length, run: () => SETS[125].work.set(SETS[125].pristine) },
  'parse-32': parserCase(SETS[32]),
  'parse-125': parserCase(SETS[125]),
  'parse-64k': parserCase(SETS['64k']),
  'parse-1m': parserCase(SETS['1m']),
  'receive-125-text': connectionCase(SETS['125text']),
  'receive-125-binary': connectionCase(SETS[125]),
  'receive-64k': connectionCase(SETS['64k']),
  'receive-1m': connectionCase(SETS['1m']),
  'serialize-125': serializeCase(125, 8192),
  'serialize-64k': serializeCase(65536, 16),
  'serialize-1m': serializeCase(1048576, 2),
  'send-125': sendCase(125, 8192),
  'send-64k': sendCase(65536, 16),
  'mask-1m': (() => {
    const data = payloadOf(1048576, false);
    return { unit: 1, bytes: data.length, run: () => applyMask(data, MASK, 0) };
  })(),
  'deflate-1k': deflateCase(1024),
  'inflate-1k': inflateCase(1024),
  'send-1k-deflate': sendDeflateCase(1024),
  'utf8-125': (() => {
    const data = payloadOf(125, true);
    const v = new Utf8Validator();
    return {
      unit: 1000,
      bytes: 125 * 1000,
      run() {
        for (let i = 0; i < 1000; i++) {
          v.reset();
          if (!v.push(data) || !v.end()) throw new Error('invalid');
        }
      },
    };
  })(),
};

// ─── Timing ─────────────────────────────────────────────────────────────────────────────────────

function measure(name, c) {
  // Warm up (JIT), then batches of ~20 ms for --time seconds; the median batch gives the rate.
  const warmEnd = performance.now() + 200;
  while (performance.now() < warmEnd) c.run();
  let perBatch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < perBatch; i++) c.run();
    if (performance.now() - t >= 20) break;
    perBatch *= 2;
  }
  const hist = createHistogram(); // nanoseconds per unit (frame/message/op)
  const end = performance.now() + opts.time * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    for (let i = 0; i < perBatch; i++) c.run();
    const ns = ((performance.now() - t) * 1e6) / (perBatch * c.unit);
    hist.record(Math.max(1, Math.round(ns * 10))); // 0.1 ns resolution
  }
  c.check?.();
  const nsPerUnit = hist.percentile(50) / 10;
  return {
    case: name,
    nsPerUnit: round(nsPerUnit),
    unitsPerSec: Math.round(1e9 / nsPerUnit),
    mbPerSec: round((c.bytes / c.unit / nsPerUnit) * 1e3),
    spread: `${round(hist.min / 10)}–${round(hist.max / 10)}`,
    batches: hist.count,
  };
}

const names = opts.case ? opts.case.split(',') : Object.keys(CASES);
const rows = [];
console.log(`# protocol core micro-benchmark — Node ${process.version}, ${opts.time} s per case (median of ~20 ms batches)`);
console.log(`${'case'.padEnd(20)} ${'ns/unit'.padStart(10)} ${'units/s'.padStart(13)} ${'MB/s'.padStart(9)}  ns/unit min–max`);
for (const name of names) {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case ${name}`);
  const r = measure(name, c);
  rows.push(r);
  console.log(`${name.padEnd(20)} ${String(r.nsPerUnit).padStart(10)} ${r.unitsPerSec.toLocaleString('en-US').padStart(13)} ${String(r.mbPerSec).padStart(9)}  ${r.spread}`);
}
console.log('unit: one frame (parse/receive: masked client frames fed in 64 KiB chunks; memcpy: the restore of one 125-B frame),');
console.log('      one message (serialize/send; MB/s counts payload framed, large payloads are not copied), one call (mask; utf8: 1 of 1000 calls of 125 B;');
console.log('      deflate/inflate: one 1 KiB JSON-like message through PerMessageDeflate, no context takeover, answered synchronously)');
if (opts.json) writeFileSync(opts.json, JSON.stringify({ node: process.version, time: opts.time, rows }, null, 2) + '\n');

// ─── Loading the core ───────────────────────────────────────────────────────────────────────────

async function loadCore() {
  if (opts['build-dir']) {
    const require = createRequire(import.meta.url);
    const dir = join(root, opts['build-dir'], 'lib/protocol');
    return {
      ...require(join(dir, 'frame-parser.js')),
      ...require(join(dir, 'frame.js')),
      ...require(join(dir, 'connection.js')),
      ...require(join(dir, 'utf8.js')),
      ...require(join(root, opts['build-dir'], 'lib/codec/deflate-codec.js')),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'wsserver-core-bench-'));
  const outfile = join(dir, 'core.mjs');
  try {
    await build({
      stdin: {
        contents: [
          "export { FrameParser } from './lib/protocol/frame-parser';",
          "export { applyMask, formatFrame, formatMessage } from './lib/protocol/frame';",
          "export { ServerConnection } from './lib/protocol/connection';",
          "export { Utf8Validator } from './lib/protocol/utf8';",
          "export { PerMessageDeflate } from './lib/codec/deflate-codec';",
        ].join('\n'),
        resolveDir: root,
        loader: 'ts',
        sourcefile: 'core-bench-entry.ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(x) {
  return Math.round(x * 100) / 100;
}

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in defaults)) throw new Error(`unknown option ${argv[i]}`);
    const value = argv[++i];
    out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
  }
  return out;
}
