// A WebSocket load client on raw net/tls, run in its own process. It does its own framing so it costs
// the same against every server: every frame it sends is built (and masked, and compressed when
// permessage-deflate is on) once at start; each connection keeps W messages in flight and answers each
// echoed message with one new one, all answers of one read going out in one write.
//
//   node bench/load-client.mjs --port P [--conns N] [--inflight W] [--size S] [--binary] [--deflate]
//        [--tls] [--raw] [--duration T] [--warmup T] [--verify] [--timeout T]
//   node bench/load-client.mjs --mode open --port P --conns N [--local-addresses K] [--concurrency C]
//        [--pause-at M] [--deflate]
//
// throughput mode: prints one JSON line {msgsPerSec, mbPerSec, p50Ms, p99Ms, ...} after warm-up + T s.
// open mode: opens N connections (spread over source addresses 127.0.0.1..127.0.0.K), prints
//   {"event":"opened",...}, then obeys stdin lines: "check" (one verified echo on every connection,
//   prints {"event":"checked",...}) and "exit". --pause-at M: after M connections it prints
//   {"event":"paused",...} and waits for a "continue" line before opening the rest, so that the server's
//   memory can be read at M and at N (what each further connection costs, without what the first ones
//   grew once). --deflate in open mode offers permessage-deflate; with --no-check (no "check" will
//   follow) as browsers do, context takeover allowed.
// --raw: no WebSocket handshake (for the raw TCP/TLS echo server, which sends the masked frames back as
//   they are; the parser below reads masked and unmasked frames alike).
// Loopback only: the host must be 127.x.x.x or ::1.
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

// ─── Options ────────────────────────────────────────────────────────────────────────────────────

const opts = parseArgs(process.argv.slice(2), {
  host: '127.0.0.1',
  port: 0,
  mode: 'throughput',
  conns: 100,
  inflight: 8,
  size: 32,
  binary: false,
  deflate: false,
  tls: false,
  raw: false,
  duration: 5,
  warmup: 1,
  verify: false,
  timeout: 0,
  'local-addresses': 1,
  concurrency: 256,
  'pause-at': 0,
  'no-check': false,
  path: '/',
});
if (!opts.port) fatal('--port is required');
if (!/^127\.\d+\.\d+\.\d+$/.test(opts.host) && opts.host !== '::1' && opts.host !== 'localhost') fatal('loopback hosts only');
const N = opts.conns;
const W = Math.max(1, opts.inflight);
const S = opts.size;
const OPEN_MODE = opts.mode === 'open';
const hardTimeout = (opts.timeout || (OPEN_MODE ? 600 : opts.warmup + opts.duration + 60)) * 1000;

// ─── Pre-built frames ───────────────────────────────────────────────────────────────────────────

const OP_TEXT = 1;
const OP_BINARY = 2;
const opcode = opts.binary ? OP_BINARY : OP_TEXT;
const payload = makePayload(S, opts.binary);
const mask = randomBytes(4);
/** The payload as it goes on the wire (compressed with permessage-deflate). */
const wirePayload = opts.deflate ? deflateMessage(payload) : payload;
const frame = buildFrame(opcode, wirePayload, opts.deflate, mask);
const frameLength = frame.length;
/** W frames back to back, and views of the first k of them: a write of k frames allocates nothing. */
const batch = Buffer.alloc(frameLength * W);
for (let i = 0; i < W; i++) frame.copy(batch, i * frameLength);
const batchViews = [null];
for (let k = 1; k <= W; k++) batchViews.push(batch.subarray(0, k * frameLength));
/** What a raw echo server sends back: the masked frame payload. */
const maskedPayload = frame.subarray(frameLength - wirePayload.length);

function makePayload(size, binary) {
  const out = Buffer.allocUnsafe(size);
  if (binary) {
    // Incompressible-ish but deterministic bytes.
    let x = 0x9e3779b9;
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  }
  const words = 'the quick brown fox jumps over lazy dogs while websocket frames fly by ';
  for (let i = 0; i < size; i++) out[i] = words.charCodeAt(i % words.length);
  return out;
}

/** RFC 7692 §7.2.1: DEFLATE with a sync flush, minus the trailing 00 00 ff ff. */
function deflateMessage(data) {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  if (out.readUInt32BE(out.length - 4) !== 0x0000ffff) throw new Error('deflate output does not end with 00 00 ff ff');
  return out.subarray(0, out.length - 4);
}

function buildFrame(op, data, rsv1, key) {
  const len = data.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const buf = Buffer.alloc(head + 4 + len);
  buf[0] = 0x80 | (rsv1 ? 0x40 : 0) | op;
  if (len < 126) buf[1] = 0x80 | len;
  else if (len < 65536) {
    buf[1] = 0x80 | 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 0x80 | 127;
    buf.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    buf.writeUInt32BE(len >>> 0, 6);
  }
  key.copy(buf, head);
  for (let i = 0; i < len; i++) buf[head + 4 + i] = data[i] ^ key[i & 3];
  return buf;
}

// ─── Latency histogram (log-linear, ~0.4 % resolution, no allocation per sample) ────────────────

const hist = new Float64Array(2048 + 21 * 256);
let histCount = 0;

function record(us) {
  let v = us < 0 ? 0 : us | 0;
  let idx;
  if (v < 2048) idx = v;
  else {
    if (v > 0x7fffffff) v = 0x7fffffff;
    const e = 31 - Math.clz32(v);
    idx = 2048 + (e - 11) * 256 + ((v >>> (e - 8)) & 255);
  }
  hist[idx]++;
  histCount++;
}

function percentileMs(p) {
  if (histCount === 0) return null;
  const target = Math.ceil(histCount * p);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= target) {
      if (i < 2048) return i / 1000;
      const e = Math.floor((i - 2048) / 256) + 11;
      const sub = (i - 2048) % 256;
      return ((256 + sub) * 2 ** (e - 8)) / 1000;
    }
  }
  return null;
}

// ─── Connections ────────────────────────────────────────────────────────────────────────────────

let running = false;
let measuring = false;
let received = 0;
/** Every echoed message since the first send, warm-up included (to relate to server syscall counts). */
let receivedTotal = 0;
let serverCloses = 0;
const errors = new Map();
const conns = [];
let negotiated = null;

function noteError(what) {
  errors.set(what, (errors.get(what) ?? 0) + 1);
}

class Conn {
  constructor(socket) {
    this.socket = socket;
    this.open = false;
    this.handshake = opts.raw ? null : '';
    // Frame reading.
    this.head = Buffer.alloc(14);
    this.headLen = 0;
    this.skip = 0;
    this.msgEnds = false;
    this.compressed = false;
    this.pieces = opts.verify || OPEN_MODE ? [] : null;
    // Send times of the messages in flight (a ring of W).
    this.sent = new Float64Array(W);
    this.sentHead = 0;
    this.sentCount = 0;
    this.checkWaiter = null;
  }
}

function connect(localAddress, localPort) {
  return new Promise((resolve) => {
    const options = { host: opts.host, port: opts.port, localAddress, localPort };
    let socket;
    let settled = false;
    const done = (conn) => {
      if (settled) return;
      settled = true;
      resolve(conn);
    };
    const onReady = () => {
      socket.setNoDelay(true);
      const conn = new Conn(socket);
      socket.on('data', (chunk) => onData(conn, chunk));
      socket.on('close', () => {
        if (conn.open) conn.open = false;
        done(null);
        if (conn.checkWaiter) conn.checkWaiter(false);
      });
      if (opts.raw) {
        conn.open = true;
        done(conn);
      } else {
        conn.onOpen = () => done(conn);
        socket.write(upgradeRequest());
      }
    };
    socket = opts.tls
      ? tls.connect({ ...options, rejectUnauthorized: false }, onReady)
      : net.connect(options, onReady);
    socket.on('error', (error) => {
      if (error.code === 'EADDRINUSE' && localPort) {
        // The chosen source port is taken (another program, or TIME_WAIT): the caller picks another.
        done('retry');
        return;
      }
      noteError(error.code ?? error.message);
      done(null);
    });
  });
}

const KEY = randomBytes(16).toString('base64');
function upgradeRequest() {
  let extensions = '';
  if (opts.deflate) {
    extensions = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits';
    // Verifying compressed answers needs each message to inflate on its own.
    if (opts.verify || (OPEN_MODE && !opts['no-check'])) extensions += '; server_no_context_takeover';
    extensions += '\r\n';
  }
  return (
    `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extensions}\r\n`
  );
}

function onData(conn, chunk) {
  if (conn.handshake === null) {
    onFrames(conn, chunk);
    return;
  }
  // The response head is read as latin1: one character per byte, so string offsets are byte offsets.
  const before = conn.handshake.length;
  conn.handshake += chunk.toString('latin1');
  const end = conn.handshake.indexOf('\r\n\r\n');
  if (end === -1) {
    if (conn.handshake.length > 16384) conn.socket.destroy();
    return;
  }
  const head = conn.handshake.slice(0, end);
  conn.handshake = null;
  if (!/^HTTP\/1\.1 101 /.test(head)) {
    noteError(`handshake: ${head.split('\r\n')[0]}`);
    conn.socket.destroy();
    return;
  }
  const ext = /\r\nsec-websocket-extensions:\s*([^\r]*)/i.exec(head);
  if (negotiated === null) negotiated = ext ? ext[1] : '';
  if (opts.deflate && !ext) noteError('permessage-deflate not negotiated');
  conn.open = true;
  conn.onOpen();
  // Bytes after the response head (rare: the server spoke first) are frames.
  const offset = end + 4 - before;
  if (offset < chunk.length) onFrames(conn, chunk.subarray(offset));
}

/** Reads frames (masked or not) and counts finished messages; answers each with one new message. */
function onFrames(conn, chunk) {
  const now = performance.now();
  const len = chunk.length;
  let pos = 0;
  let done = 0;
  while (pos < len) {
    if (conn.skip > 0) {
      const take = Math.min(conn.skip, len - pos);
      if (conn.pieces) conn.pieces.push(chunk.subarray(pos, pos + take));
      pos += take;
      conn.skip -= take;
      if (conn.skip === 0 && conn.msgEnds) {
        if (finishMessage(conn, now)) done++;
      }
      continue;
    }
    let hb;
    let hp;
    if (conn.headLen === 0 && len - pos >= 2 && len - pos >= headerLength(chunk[pos + 1])) {
      hb = chunk;
      hp = pos;
      pos += headerLength(chunk[pos + 1]);
    } else {
      const head = conn.head;
      while (pos < len) {
        head[conn.headLen++] = chunk[pos++];
        if (conn.headLen >= 2 && conn.headLen === headerLength(head[1])) break;
      }
      if (conn.headLen < 2 || conn.headLen !== headerLength(head[1])) break;
      hb = head;
      hp = 0;
      conn.headLen = 0;
    }
    const b0 = hb[hp];
    const b1 = hb[hp + 1];
    const op = b0 & 0x0f;
    let length = b1 & 0x7f;
    if (length === 126) length = hb.readUInt16BE(hp + 2);
    else if (length === 127) length = hb.readUInt32BE(hp + 2) * 2 ** 32 + hb.readUInt32BE(hp + 6);
    if (op >= 8) {
      if (op === 8) {
        serverCloses++;
        noteError('close frame from the server');
        conn.socket.destroy();
        return;
      }
      // Pings/pongs from the server: skipped (servers do not ping unasked).
      conn.msgEnds = false;
      conn.skip = length;
      if (conn.pieces) conn.pieces = [];
      continue;
    }
    if (op !== 0) conn.compressed = (b0 & 0x40) !== 0;
    conn.msgEnds = (b0 & 0x80) !== 0;
    conn.skip = length;
    if (length === 0 && conn.msgEnds) {
      if (finishMessage(conn, now)) done++;
    }
  }
  if (done > 0 && running && conn.open) send(conn, done, now);
}

function headerLength(b1) {
  const l = b1 & 0x7f;
  return 2 + (l === 126 ? 2 : l === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

/** One echoed message arrived. Returns true when it should be answered. */
function finishMessage(conn, now) {
  let ok = true;
  if (conn.pieces) {
    const data = Buffer.concat(conn.pieces);
    conn.pieces = [];
    ok = checkEcho(conn, data);
    if (!ok) noteError('echo mismatch');
  }
  receivedTotal++;
  if (conn.sentCount > 0) {
    const t = conn.sent[conn.sentHead];
    conn.sentHead = conn.sentHead + 1 === W ? 0 : conn.sentHead + 1;
    conn.sentCount--;
    if (measuring) {
      record((now - t) * 1000);
      received++;
    }
  }
  if (conn.checkWaiter) {
    const waiter = conn.checkWaiter;
    conn.checkWaiter = null;
    waiter(ok);
    return false;
  }
  return true;
}

const TAIL = Buffer.from([0, 0, 0xff, 0xff]);

function checkEcho(conn, data) {
  if (opts.raw) return data.equals(maskedPayload);
  if (conn.compressed) {
    try {
      data = zlib.inflateRawSync(Buffer.concat([data, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  return data.equals(payload);
}

function send(conn, k, now) {
  if (k > W) k = W;
  let at = conn.sentHead + conn.sentCount;
  for (let i = 0; i < k; i++) {
    if (at >= W) at -= W;
    conn.sent[at++] = now;
  }
  conn.sentCount += k;
  conn.socket.write(batchViews[k]);
}

// ─── Opening ────────────────────────────────────────────────────────────────────────────────────

/** The next source port slot (with several source addresses), kept across openAll() calls. */
let nextPort = 0;

async function openAll(count) {
  const addresses = [];
  for (let i = 1; i <= Math.max(1, opts['local-addresses']); i++) addresses.push(`127.0.0.${i}`);
  const useLocal = opts['local-addresses'] > 1;
  // With several source addresses the client also picks the source ports itself, from 10000 up
  // (below Linux's ephemeral range): letting the kernel search for a free port per connect() or
  // bind() gets slow with tens of thousands of sockets and TIME_WAIT leftovers.
  const portsPerAddress = 22000;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      for (let attempt = 0; attempt < 8; attempt++) {
        let conn;
        if (useLocal) {
          const slot = nextPort++;
          const address = addresses[slot % addresses.length];
          const port = 10000 + (Math.floor(slot / addresses.length) % portsPerAddress);
          conn = await connect(address, port);
        } else {
          conn = await connect(undefined, undefined);
        }
        if (conn === 'retry') continue;
        if (conn) conns.push(conn);
        break;
      }
    }
  };
  const workers = [];
  for (let i = 0; i < Math.min(opts.concurrency, count); i++) workers.push(worker());
  await Promise.all(workers);
  return performance.now() - started;
}

function print(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

function errorList() {
  return Object.fromEntries(errors);
}

async function throughput() {
  const openMs = await openAll(N);
  if (conns.length === 0) {
    print({ ok: false, error: 'no connection opened', errors: errorList() });
    process.exit(1);
  }
  running = true;
  const io0 = ioCounters();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const conn of conns) send(conn, W, t0);
  await sleep(opts.warmup * 1000);
  hist.fill(0);
  histCount = 0;
  received = 0;
  measuring = true;
  const start = performance.now();
  await sleep(opts.duration * 1000);
  const seconds = (performance.now() - start) / 1000;
  measuring = false;
  running = false;
  const io1 = ioCounters();
  const cpu1 = process.cpuUsage(cpu0);
  const stalled = conns.filter((c) => !c.open).length;
  print({
    ok: errors.size === 0 && received > 0,
    mode: 'throughput',
    conns: conns.length,
    inflight: W,
    size: S,
    binary: opts.binary,
    deflate: opts.deflate,
    tls: opts.tls,
    raw: opts.raw,
    negotiated: negotiated ?? '',
    frameBytes: frameLength,
    openMs: round(openMs),
    seconds: round(seconds),
    msgs: received,
    msgsPerSec: Math.round(received / seconds),
    mbPerSec: round((received * S) / seconds / 1e6),
    p50Ms: percentileMs(0.5),
    p99Ms: percentileMs(0.99),
    msgsTotal: receivedTotal,
    clientCpuUsPerMsg: round3((cpu1.user + cpu1.system) / Math.max(1, receivedTotal)),
    clientWritesPerMsg: io0 && io1 ? round3((io1.syscw - io0.syscw) / Math.max(1, receivedTotal)) : null,
    clientReadsPerMsg: io0 && io1 ? round3((io1.syscr - io0.syscr) / Math.max(1, receivedTotal)) : null,
    closedConns: stalled,
    serverCloseFrames: serverCloses,
    errors: errorList(),
  });
  for (const conn of conns) conn.socket.destroy();
  process.exit(0);
}

async function openMode() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  let openMs = 0;
  const first = opts['pause-at'] > 0 && opts['pause-at'] < N ? opts['pause-at'] : 0;
  if (first > 0) {
    openMs += await openAll(first);
    print({ event: 'paused', opened: conns.length, errors: errorList() });
    for (let line = await lines.next(); !line.done && line.value.trim() !== 'continue'; line = await lines.next());
  }
  openMs += await openAll(N - first);
  print({
    event: 'opened',
    ok: conns.length === N,
    requested: N,
    opened: conns.length,
    openMs: round(openMs),
    connsPerSec: Math.round(conns.length / (openMs / 1000)),
    errors: errorList(),
  });
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    const command = line.value.trim();
    if (command === 'check') await check();
    else if (command === 'exit') break;
  }
  for (const conn of conns) conn.socket.destroy();
  process.exit(0);
}

/** One verified echo on every open connection, at most `concurrency`×8 at a time. */
async function check() {
  const started = performance.now();
  let ok = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < conns.length) {
      const conn = conns[next++];
      if (!conn.open) {
        failed++;
        continue;
      }
      const good = await new Promise((resolve) => {
        const timer = setTimeout(() => {
          conn.checkWaiter = null;
          resolve(false);
        }, 30000);
        conn.checkWaiter = (result) => {
          clearTimeout(timer);
          resolve(result);
        };
        send(conn, 1, performance.now());
      });
      if (good) ok++;
      else failed++;
    }
  };
  const workers = [];
  for (let i = 0; i < Math.min(opts.concurrency * 8, conns.length); i++) workers.push(worker());
  await Promise.all(workers);
  print({ event: 'checked', ok: failed === 0 && ok > 0, echoed: ok, failed, checkMs: round(performance.now() - started), errors: errorList() });
}

// ─── Helpers ────────────────────────────────────────────────────────────────────────────────────

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

/** Linux: read/write syscall counts of this process. */
function ioCounters() {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    return { syscr: Number(/syscr: (\d+)/.exec(text)[1]), syscw: Number(/syscw: (\d+)/.exec(text)[1]) };
  } catch {
    return null;
  }
}

function round(x) {
  return Math.round(x * 100) / 100;
}

function fatal(message) {
  print({ ok: false, error: message });
  process.exit(1);
}

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) fatal(`unexpected argument ${arg}`);
    const name = arg.slice(2);
    if (!(name in defaults)) fatal(`unknown option ${arg}`);
    if (typeof defaults[name] === 'boolean') out[name] = true;
    else {
      const value = argv[++i];
      if (value === undefined) fatal(`${arg} needs a value`);
      out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
    }
  }
  return out;
}

setTimeout(() => {
  print({ ok: false, error: `timed out after ${hardTimeout / 1000} s`, opened: conns.length, errors: errorList() });
  process.exit(2);
}, hardTimeout).unref();

if (OPEN_MODE) openMode();
else throughput();
