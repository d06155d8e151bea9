// The benchmark driver (`npm run bench` → bench/run.sh → this file). For each scenario it runs the
// servers in alternating order round after round (A B C, C B A, A B C, …), a fresh server process for
// every round, the load client (bench/load-client.mjs) in its own process, and prints medians,
// min–max and the ratios against the goals of issues 7 and 15 (throughput, p99 latency, memory per
// connection). Loopback only; every child has a deadline.
//
//   node bench/run.mjs [--scenario small,medium,…|all] [--rounds 3] [--duration 5] [--warmup 1]
//        [--idle-conns 10000] [--scale-conns 100000] [--pin] [--verify] [--markdown]
//        [--json file] [--cpu-prof dir] [--perf dir] [--max-minutes 60] [--list] [--baseline dir] [--no-install]
//
// Scenarios: small, medium, large, deflate-small, tls-small, compat, idle, idle-deflate, scale (see SCENARIOS).
// Idle scenarios read the server's memory at N/2 and at N connections: "RSS/conn" is the growth from
// none to N over N (what the issue-7 figures use); "marginal" is the growth from N/2 to N over N/2, what
// each further connection costs once V8's young generation has grown to its size under the opening
// burst (a one-off ~28 MiB here, which RSS/conn spreads over N); "settled" is the growth from none to N
// once the server has been idle for --settle seconds (default 15): by then V8's memory reducer has
// given the empty young generation back, so what remains is what the connections hold. Before "none"
// is read, every server opens and drops --warm-conns connections (default 200) and then idles for the
// same --settle seconds, so that code paths first run by a handshake (the node binary's pages, compiled
// functions) are not charged to N and both ends of "settled" have the young generation at rest.
// --pin       runs servers on CPU 0 and the client on CPU 1 (taskset), when the machine has 2+ CPUs.
// --cpu-prof  runs the Node servers (ours and the peers) under `node --cpu-prof` and writes the profiles
//             to that directory (summarise them with bench/profile.mjs).
// --perf dir  throughput scenarios: `perf record -g` of each server (Bun too) for the measured seconds of
//             every round, and next to each profile its summary (bench/perf-summary.mjs: µs per message
//             by binary — kernel, node, JavaScript, libc — and the frames under the read and write
//             calls). Native time is what --cpu-prof lumps into a few opaque entries. Needs `perf`.
// --heap-snapshot dir  idle scenario: a heap snapshot of each server once its connections are open
//             (summarise with bench/heap-summary.mjs file --per N).
// BENCH_DIST=dir benchmarks another build of the package instead of dist/.
// The Bun peer (bench/servers/bun-echo.mjs) runs under the `bun` binary of bench/package.json: on first
// use this driver installs it (npm install --prefix bench) unless --no-install; BENCH_BUN=path picks
// another binary. Without it the Bun rows say how to get it and the other peers run.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));

// ─── What is measured ───────────────────────────────────────────────────────────────────────────

/** perf's sampling rate (--perf). */
const PERF_HZ = 999;

/** Echo servers: a script in bench/servers/ and how the client talks to it. */
const SERVERS = {
  ours: { script: 'modern.mjs', title: 'ours, modern API', ours: true },
  'compat-idle': { script: 'compat-idle.mjs', title: 'ours, compat ProcessIdleEvents', ours: true },
  'compat-doevents': { script: 'compat-doevents.mjs', title: 'ours, compat DoEvents loop', ours: true },
  ws: { script: 'ws.mjs', title: 'ws 8.x' },
  raw: { script: 'raw.mjs', title: 'raw echo (ceiling)', raw: true },
  bun: { script: 'bun-echo.mjs', title: 'Bun.serve (uWebSockets)', runtime: 'bun' },
};

const SMALL = { conns: 100, inflight: 8, size: 32 };

/**
 * `ratios`: [A, B, goal?, 'min'|'max', metric?] — A/B of the medians of a metric (msgs/s, or RSS KiB per
 * connection for idle, unless `metric` names another: 'p99Ms', 'p50Ms'); a goal is met when the ratio is
 * at least (min, the default) or at most (max) the goal. Latency ratios are A's p99 over B's: ≤ is good.
 */
const SCENARIOS = {
  small: {
    kind: 'throughput',
    about: '100 conns × 8 in flight × 32 B text',
    client: SMALL,
    servers: ['ours', 'ws', 'raw', 'bun'],
    ratios: [['ours', 'raw', 0.8], ['ours', 'bun'], ['ours', 'ws', 2.0], ['ours', 'bun', undefined, 'max', 'p99Ms'], ['ws', 'raw'], ['bun', 'raw']],
  },
  medium: {
    kind: 'throughput',
    about: '20 conns × 4 in flight × 16 KiB binary',
    client: { conns: 20, inflight: 4, size: 16384, binary: true },
    servers: ['ours', 'ws', 'raw', 'bun'],
    ratios: [['ours', 'bun', 0.9], ['ours', 'bun', 1.5, 'max', 'p99Ms'], ['ours', 'bun', undefined, 'max', 'p50Ms'], ['ours', 'ws', 2.0], ['ours', 'ws', undefined, 'max', 'p99Ms'], ['ours', 'raw'], ['bun', 'raw']],
  },
  large: {
    kind: 'throughput',
    about: '2 conns × 2 in flight × 1 MiB binary',
    client: { conns: 2, inflight: 2, size: 1048576, binary: true },
    servers: ['ours', 'ws', 'raw', 'bun'],
    ratios: [['ours', 'bun', 0.9], ['ours', 'bun', 1.5, 'max', 'p99Ms'], ['ours', 'bun', undefined, 'max', 'p50Ms'], ['ours', 'raw', 0.8], ['ours', 'ws'], ['ours', 'ws', undefined, 'max', 'p99Ms'], ['bun', 'raw']],
  },
  'deflate-small': {
    kind: 'throughput',
    about: 'small, client offers permessage-deflate and compresses its frames',
    client: { ...SMALL, deflate: true },
    serverArgs: ['--deflate'],
    servers: ['ours', 'ws'],
    ratios: [['ours', 'ws', 2.0]],
  },
  'tls-small': {
    kind: 'throughput',
    about: 'small over TLS (throw-away RSA cert)',
    client: { ...SMALL, tls: true },
    serverArgs: ['--tls'],
    servers: ['ours', 'ws', 'raw', 'bun'],
    ratios: [['ours', 'bun', 0.75], ['ours', 'ws', 1.5], ['ours', 'bun', undefined, 'max', 'p99Ms'], ['ours', 'raw'], ['bun', 'raw']],
  },
  compat: {
    kind: 'throughput',
    about: 'small: the compat faces against the modern API',
    client: SMALL,
    servers: ['ours', 'compat-doevents', 'compat-idle'],
    ratios: [['compat-doevents', 'ours', 0.95], ['compat-idle', 'ours']],
  },
  idle: {
    kind: 'idle',
    about: 'N idle open connections: server RSS per connection, time to open',
    servers: ['ours', 'ws', 'raw', 'bun'],
    ratios: [
      ['ours', 'ws', 0.8, 'max', 'kibPerConnSettled'],
      ['ours', 'ws', undefined, 'max'],
      ['ours', 'ws', undefined, 'max', 'kibPerConnMarginal'],
      ['ours', 'raw', undefined, 'max', 'kibPerConnSettled'],
      ['ours', 'bun', undefined, 'max'],
      ['ws', 'raw', undefined, 'max'],
      ['ours', 'raw', undefined, 'max', 'kibPerConnMarginal'],
    ],
  },
  // The same with permessage-deflate offered as browsers offer it (context takeover allowed) and
  // accepted by every WebSocket server: what a negotiated extension costs while nothing is sent.
  'idle-deflate': {
    kind: 'idle',
    about: 'N idle open connections with permessage-deflate negotiated (browser offer)',
    serverArgs: ['--deflate'],
    clientArgs: ['--deflate', '--no-check'],
    servers: ['ours', 'ws', 'bun'],
    ratios: [['ours', 'ws', 0.8, 'max', 'kibPerConnSettled'], ['ours', 'ws', undefined, 'max'], ['ours', 'ws', undefined, 'max', 'kibPerConnMarginal'], ['ours', 'bun', undefined, 'max', 'kibPerConnSettled']],
  },
  scale: {
    kind: 'scale',
    about: 'N open connections from several 127.0.0.x source addresses, then one echo on each',
    servers: ['ours'],
    ratios: [],
  },
};

// ─── Options ────────────────────────────────────────────────────────────────────────────────────

const opts = parseArgs(process.argv.slice(2), {
  scenario: 'all',
  rounds: 3,
  duration: 5,
  warmup: 1,
  'idle-conns': 10000,
  settle: 15,
  'warm-conns': 200,
  'scale-conns': 100000,
  servers: '',
  pin: false,
  verify: false,
  markdown: false,
  json: '',
  'cpu-prof': '',
  perf: '',
  'heap-snapshot': '',
  'max-minutes': 60,
  list: false,
  baseline: '',
  'no-install': false,
});

// --baseline DIR: another build of this package (e.g. the dist/ of the commit before a change) runs
// beside ours in every throughput scenario, so that before/after come from one run.
if (opts.baseline) {
  SERVERS.before = { script: 'modern.mjs', title: `ours, baseline build (${opts.baseline})`, dist: opts.baseline };
  for (const scenario of Object.values(SCENARIOS)) {
    if (scenario.kind !== 'throughput' || !scenario.servers.includes('ours')) continue;
    scenario.servers = [...scenario.servers, 'before'];
    scenario.ratios = [...scenario.ratios, ['ours', 'before'], ...(scenario.servers.includes('ws') ? [['before', 'ws']] : [])];
  }
}

if (opts.list) {
  for (const [name, s] of Object.entries(SCENARIOS)) console.log(`${name.padEnd(14)} ${s.about} [${s.servers.join(', ')}]`);
  process.exit(0);
}

const chosen = opts.scenario === 'all' ? Object.keys(SCENARIOS) : opts.scenario.split(',').map((s) => s.trim());
for (const name of chosen) if (!SCENARIOS[name]) die(`unknown scenario ${name} (try --list)`);
const serverFilter = opts.servers ? new Set(opts.servers.split(',')) : null;
const deadline = Date.now() + opts['max-minutes'] * 60_000;
const canPin = opts.pin && cpus().length >= 2 && spawnSync('taskset', ['--version']).status === 0;
if (opts['cpu-prof']) mkdirSync(opts['cpu-prof'], { recursive: true });
if (opts.perf) {
  if (spawnSync('perf', ['--version']).status !== 0) die('--perf needs Linux perf (apt-get install linux-perf)');
  mkdirSync(opts.perf, { recursive: true });
}
const bun = chosen.some((name) => SCENARIOS[name].servers.includes('bun')) && (!serverFilter || serverFilter.has('bun')) ? locateBun() : null;
if (opts['heap-snapshot']) mkdirSync(opts['heap-snapshot'], { recursive: true });

ensureBuild();
const dist = snapshotDist();
// Profiles are mapped back to lib/ through the bundles' source maps: keep the measured ones with them.
if (opts['cpu-prof']) for (const f of readdirSync(dist.dir)) if (f.endsWith('.map')) copyFileSync(join(dist.dir, f), join(opts['cpu-prof'], f));

const started = new Date();
const results = {
  started: started.toISOString(),
  command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? '',
  fdLimit: openFileLimit(),
  pinned: canPin,
  bun: bun && { binary: bun.binary, version: bun.version, missing: bun.missing },
  dist,
  scenarios: {},
};

log(`# wsserver-compat benchmark — ${results.started}, Node ${process.version}, ${results.cpus} CPUs (${results.cpuModel}), fd limit ${results.fdLimit.soft}/${results.fdLimit.hard}${canPin ? ', pinned' : ''}`);
log(`# ${results.command}`);
log(`# measuring ${dist.source} (built ${dist.built})${dist.snapshot ? `, snapshot in ${dist.snapshot}` : ''}`);
if (bun) log(bun.missing ? `# bun peer: ${bun.missing}` : `# bun peer: Bun ${bun.version} (${bun.binary})`);

for (const name of chosen) {
  if (Date.now() > deadline) {
    log(`! --max-minutes reached: ${name} and later scenarios skipped`);
    break;
  }
  const scenario = SCENARIOS[name];
  const servers = scenario.servers.filter((s) => !serverFilter || serverFilter.has(s));
  const entry = (results.scenarios[name] = { about: scenario.about, kind: scenario.kind, rounds: {}, pending: {}, notes: [] });
  log(`\n## ${name}: ${scenario.about}`);
  if (scenario.kind === 'throughput') await runThroughput(name, scenario, servers, entry);
  else if (scenario.kind === 'idle') await runIdle(scenario, servers, entry);
  else await runScale(scenario, servers, entry);
  report(name, scenario, entry);
}

results.finished = new Date().toISOString();
printSummary();
if (opts.json) {
  writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
  log(`\nresults written to ${opts.json}`);
}
if (dist.snapshot) rmSync(dist.snapshot, { recursive: true, force: true });
process.exit(0);

// ─── Throughput ─────────────────────────────────────────────────────────────────────────────────

async function runThroughput(name, scenario, servers, entry) {
  const c = scenario.client;
  log(`   ${opts.rounds} round(s) of ${opts.duration} s after ${opts.warmup} s warm-up, servers in alternating order`);
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      if (entry.pending[server] || Date.now() > deadline) continue;
      const proc = await startServer(server, scenario.serverArgs ?? [], `${name}-r${round + 1}`);
      if (proc.pending) {
        entry.pending[server] = proc.pending;
        log(`   ${server}: pending — ${proc.pending}`);
        continue;
      }
      const args = ['--port', String(proc.port), '--conns', String(c.conns), '--inflight', String(c.inflight), '--size', String(c.size)];
      args.push('--duration', String(opts.duration), '--warmup', String(opts.warmup));
      if (c.binary) args.push('--binary');
      if (c.deflate) args.push('--deflate');
      if (c.tls) args.push('--tls');
      if (SERVERS[server].raw) args.push('--raw');
      if (opts.verify) args.push('--verify');
      const io0 = proc.io();
      const recording = opts.perf ? recordPerf(proc.pid, `${server}-${name}-r${round + 1}`) : null;
      const result = await runClient(args, (opts.duration + opts.warmup) * 1000 + 60_000);
      const io1 = proc.io();
      const profile = recording ? await recording : null;
      if (profile && result.ok) summarisePerf(profile, result);
      await proc.stop();
      // The JIT symbol map goes beside the profile, so that perf-summary.mjs can read it again later.
      const jitMap = `/tmp/perf-${proc.pid}.map`;
      if (profile) moveFile(jitMap, profile.file.replace(/\.data$/, '.map'));
      else if (recording) rmSync(jitMap, { force: true });
      if (io0 && io1 && result.msgsTotal) {
        // Syscalls per echoed message (warm-up included): how well the server batches its reads and writes.
        result.serverWritesPerMsg = round3((io1.syscw - io0.syscw) / result.msgsTotal);
        result.serverReadsPerMsg = round3((io1.syscr - io0.syscr) / result.msgsTotal);
        result.serverUserUsPerMsg = round3(((io1.userMs - io0.userMs) * 1000) / result.msgsTotal);
        result.serverSysUsPerMsg = round3(((io1.sysMs - io0.sysMs) * 1000) / result.msgsTotal);
        result.serverCpuUsPerMsg = round3(result.serverUserUsPerMsg + result.serverSysUsPerMsg);
      }
      (entry.rounds[server] ??= []).push(result);
      log(`   round ${round + 1} ${server.padEnd(16)} ${result.ok ? `${fmt(result.msgsPerSec)} msgs/s  ${result.mbPerSec} MB/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms server CPU ${result.serverCpuUsPerMsg ?? '?'} µs/msg (user ${result.serverUserUsPerMsg ?? '?'}, sys ${result.serverSysUsPerMsg ?? '?'}), writes/msg ${result.serverWritesPerMsg ?? '?'}, client CPU ${result.clientCpuUsPerMsg ?? '?'} µs/msg` : `FAILED ${JSON.stringify(result)}`}`);
    }
  }
}

/**
 * `perf record -g` of the server for the measured seconds of a round (after the warm-up). Resolves with
 * {file, seconds} once perf has written its file, or null when perf failed.
 */
function recordPerf(pid, tag) {
  const file = join(opts.perf, `${tag}.perf.data`);
  return new Promise((resolve) => {
    setTimeout(() => {
      const perf = spawn('perf', ['record', '-F', String(PERF_HZ), '-g', '-p', String(pid), '-o', file, '--', 'sleep', String(opts.duration)], { stdio: 'ignore' });
      perf.on('exit', (code) => resolve(code === 0 ? { file, seconds: opts.duration } : null));
      // perf that cannot start (or attach) costs the round its profile, not the run.
      perf.on('error', () => resolve(null));
    }, opts.warmup * 1000);
  });
}

function moveFile(from, to) {
  if (!existsSync(from)) return;
  copyFileSync(from, to);
  rmSync(from, { force: true });
}

/** The summary beside the profile: µs per message, given the messages echoed while perf recorded. */
function summarisePerf(profile, result) {
  const msgs = Math.round(result.msgsPerSec * profile.seconds);
  const rootsOf = ['onStreamRead', 'socketOnData', 'StreamBase::WriteBuffer', 'TLSWrap::DoWrite', 'do_syscall_64'].flatMap((r) => ['--root', r]);
  const out = spawnSync(process.execPath, [`${here}perf-summary.mjs`, profile.file, '--msgs', String(msgs), '--hz', String(PERF_HZ), ...rootsOf, '--top', '20'], { maxBuffer: 1 << 26 });
  const text = out.stdout.toString();
  writeFileSync(profile.file.replace(/\.perf\.data$/, '.perf.txt'), text);
  const first = text.split('\n')[0];
  if (first) log(`     perf: ${first.replace(/^# \S+: /, '')}`);
}

// ─── Idle: RSS per open connection ──────────────────────────────────────────────────────────────

async function runIdle(scenario, servers, entry) {
  const n = Math.min(opts['idle-conns'], fdBudget());
  if (n < opts['idle-conns']) entry.notes.push(`${n} connections instead of ${opts['idle-conns']}: open-file limit ${results.fdLimit.soft}`);
  entry.conns = n;
  log(`   ${n} connections, ${opts.rounds} round(s)`);
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      if (Date.now() > deadline) continue;
      const heap = opts['heap-snapshot'] && round === 0 && !SERVERS[server].runtime ? join(opts['heap-snapshot'], `${server}-idle${scenario.serverArgs ? '-deflate' : ''}-${n}.heapsnapshot`) : '';
      if (entry.pending[server]) continue;
      const result = await openAndMeasure(server, n, {
        localAddresses: Math.max(2, Math.ceil(n / 20000)),
        check: false,
        heapFile: heap,
        serverArgs: scenario.serverArgs ?? [],
        clientArgs: scenario.clientArgs ?? [],
        half: true,
        warm: opts['warm-conns'],
        settle: opts.settle,
      });
      if (result.pending) {
        entry.pending[server] = result.pending;
        log(`   ${server}: pending — ${result.pending}`);
        continue;
      }
      (entry.rounds[server] ??= []).push(result);
      log(`   round ${round + 1} ${server.padEnd(16)} ${result.ok ? `${result.kibPerConn} KiB/conn RSS, settled ${result.kibPerConnSettled} (heap total ${result.heapTotalKibPerConnSettled}), marginal ${result.kibPerConnMarginal} (heap used ${result.heapKibPerConn}, heap total ${result.heapTotalKibPerConn}, external ${result.externalKibPerConn} KiB/conn), opened ${result.opened} in ${result.openMs} ms` : `FAILED ${JSON.stringify(result)}`}`);
    }
  }
}

// ─── Scale: many connections, then echo on each ─────────────────────────────────────────────────

async function runScale(scenario, servers, entry) {
  const want = opts['scale-conns'];
  const n = Math.min(want, fdBudget());
  if (n < want) {
    entry.notes.push(
      `${n} connections instead of ${want}: the open-file limit is ${results.fdLimit.soft} (hard ${results.fdLimit.hard}) and each side needs one descriptor per connection; bench/run.sh raises it where the system allows`,
    );
  }
  entry.conns = n;
  const addresses = Math.max(2, Math.ceil(n / 20000));
  log(`   ${n} connections from ${addresses} source addresses (127.0.0.1–127.0.0.${addresses}), then one echo on each; 1 round`);
  for (const server of servers) {
    if (Date.now() > deadline) continue;
    const result = await openAndMeasure(server, n, { localAddresses: addresses, check: true });
    (entry.rounds[server] ??= []).push(result);
    log(`   ${server.padEnd(16)} ${result.ok ? `opened ${result.opened}/${n} in ${result.openMs} ms, ${result.kibPerConn} KiB/conn RSS, echo on ${result.echoed} (failed ${result.failed}) in ${result.checkMs} ms` : `FAILED ${JSON.stringify(result)}`}`);
  }
}

async function openAndMeasure(server, n, { localAddresses, check, heapFile = '', serverArgs = [], clientArgs = [], half = false, warm = 0, settle = 0 }) {
  const proc = await startServer(server, SERVERS[server].raw ? [] : serverArgs, `open-${n}`);
  if (proc.pending) return { ok: false, pending: proc.pending };
  try {
    const common = ['--mode', 'open', '--port', String(proc.port), '--local-addresses', String(localAddresses), ...clientArgs];
    if (SERVERS[server].raw) common.push('--raw');
    if (warm > 0) {
      // Open and drop a few connections first: the first handshakes page in code and compile
      // functions once per process, which is not what N connections hold.
      const warming = startClient([...common, '--conns', String(warm)], 60_000);
      const warmed = await warming.next();
      if (warmed.event !== 'opened') return { ok: false, client: warmed };
      warming.send('exit');
      await warming.done;
      // "none" is read settled too, so that both ends of the settled figure have the young
      // generation at its idle size.
      await sleep(settle > 0 ? settle * 1000 : 500);
    }
    await sleep(300);
    const before = await proc.mem();
    const args = [...common, '--conns', String(n)];
    const halfway = half ? Math.floor(n / 2) : 0;
    if (halfway > 0) args.push('--pause-at', String(halfway));
    const client = startClient(args, 600_000 + n * 10);
    let middle = null;
    if (halfway > 0) {
      const paused = await client.next();
      if (paused.event !== 'paused') return { ok: false, client: paused };
      await sleep(1000);
      middle = { ...(await proc.mem()), opened: paused.opened };
      client.send('continue');
    }
    const opened = await client.next();
    if (opened.event !== 'opened') return { ok: false, client: opened };
    await sleep(1000);
    const after = await proc.mem();
    let settled = null;
    if (settle > 0) {
      // Idle for a while: V8's memory reducer runs after several seconds of low allocation and
      // shrinks the young generation that the burst of handshakes grew.
      await sleep(settle * 1000);
      settled = await proc.mem();
    }
    // Last: writing a snapshot allocates heavily, which would hold off the memory reducer.
    if (heapFile) await proc.heap(heapFile);
    let checked = {};
    if (check) {
      client.send('check');
      checked = await client.next();
    }
    client.send('exit');
    await client.done;
    const kib = (after.rss - before.rss) / Math.max(1, opened.opened) / 1024;
    const heap = (after.heapUsed - before.heapUsed) / Math.max(1, opened.opened) / 1024;
    return {
      ok: opened.ok && (!check || checked.ok === true),
      opened: opened.opened,
      openMs: opened.openMs,
      connsPerSec: opened.connsPerSec,
      rssBefore: before.rss,
      rssAfter: after.rss,
      kibPerConn: round2(kib),
      heapKibPerConn: round2(heap),
      heapTotalKibPerConn: round2((after.heapTotal - before.heapTotal) / Math.max(1, opened.opened) / 1024),
      kibPerConnSettled: settled ? round2((settled.rss - before.rss) / Math.max(1, opened.opened) / 1024) : null,
      heapTotalKibPerConnSettled: settled ? round2((settled.heapTotal - before.heapTotal) / Math.max(1, opened.opened) / 1024) : null,
      kibPerConnMarginal: middle && opened.opened > middle.opened ? round2((after.rss - middle.rss) / (opened.opened - middle.opened) / 1024) : null,
      externalKibPerConn: round2((after.external - before.external) / Math.max(1, opened.opened) / 1024),
      echoed: checked.echoed,
      failed: checked.failed,
      checkMs: checked.checkMs,
      errors: { ...opened.errors, ...checked.errors },
    };
  } finally {
    await proc.stop();
  }
}

// ─── Processes ──────────────────────────────────────────────────────────────────────────────────

function nodeCommand(cpu, nodeArgs) {
  return pinned(cpu, [process.execPath, ...nodeArgs]);
}

function pinned(cpu, cmd) {
  return canPin ? ['taskset', '-c', String(cpu), ...cmd] : cmd;
}

/** Starts a fresh echo server; resolves with {port, stop(), mem()} or {pending}. */
function startServer(name, extraArgs, tag) {
  const def = SERVERS[name];
  const nodeArgs = ['--expose-gc'];
  if (name === 'bun' && bun?.missing) return Promise.resolve({ pending: bun.missing });
  if (opts['cpu-prof'] && def.runtime !== 'bun') {
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts['cpu-prof'], '--cpu-prof-name', `${name}-${tag}-${Date.now()}.cpuprofile`);
  }
  // perf names JavaScript frames from the map file node writes to /tmp (moved beside the profile after the round).
  if (opts.perf && def.runtime !== 'bun') nodeArgs.push('--perf-basic-prof-only-functions');
  const script = `${here}servers/${def.script}`;
  const [cmd, ...args] = def.runtime === 'bun' ? pinned(0, [bun.binary, script, ...extraArgs]) : nodeCommand(0, [...nodeArgs, script, ...extraArgs]);
  const env = { ...process.env, BENCH_CONTROL: '1', BENCH_DIST: def.dist ?? dist.dir };
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const w = waiting.shift();
    if (w) w(msg);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const nextLine = (ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no answer within ${ms} ms. stderr: ${stderr}`)), ms);
      waiting.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return Promise.race([
    nextLine(20_000),
    exited.then(({ code }) => ({ exitedEarly: code, stderr })),
  ]).then(
    (first) => {
      if (first.pending) return stop().then(() => ({ pending: first.pending }));
      if (first.exitedEarly !== undefined) die(`server ${name} exited (${first.exitedEarly}) before listening:\n${first.stderr}`);
      return {
        port: first.port,
        pid: first.pid,
        stop,
        io: () => ioOf(child.pid),
        mem: () => {
          child.stdin.write('mem\n');
          return nextLine(30_000).then((m) => m.mem);
        },
        heap: (file) => {
          child.stdin.write(`heap ${file}\n`);
          return nextLine(120_000);
        },
      };
    },
    (error) => stop().then(() => die(error.message)),
  );
}

/** Runs the load client to completion and returns its JSON result. */
function runClient(args, timeoutMs) {
  const c = startClient(args, timeoutMs);
  return c.next().then(async (result) => {
    await c.done;
    return result;
  });
}

/** The load client as a child: next() resolves with its next JSON line, send() writes a stdin line. */
function startClient(args, timeoutMs) {
  const [cmd, ...rest] = nodeCommand(1, [`${here}load-client.mjs`, ...args, '--timeout', String(Math.ceil(timeoutMs / 1000))]);
  const child = spawn(cmd, rest, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const queue = [];
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const w = waiting.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
  const done = new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      for (const w of waiting.splice(0)) w({ ok: false, error: `client exited (${code}) without a result`, stderr });
      resolve(code);
    }),
  );
  return {
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))),
    send: (line) => child.stdin.write(line + '\n'),
    done,
  };
}

// ─── Reporting ──────────────────────────────────────────────────────────────────────────────────

function stats(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

function metricOf(kind) {
  return kind === 'throughput' ? 'msgsPerSec' : 'kibPerConn';
}

function report(name, scenario, entry) {
  const metric = metricOf(scenario.kind);
  entry.summary = {};
  for (const [server, rounds] of Object.entries(entry.rounds)) {
    const good = rounds.filter((r) => r.ok);
    entry.summary[server] = {
      [metric]: stats(good.map((r) => r[metric])),
      mbPerSec: stats(good.map((r) => r.mbPerSec)),
      p50Ms: stats(good.map((r) => r.p50Ms)),
      p99Ms: stats(good.map((r) => r.p99Ms)),
      openMs: stats(good.map((r) => r.openMs)),
      connsPerSec: stats(good.map((r) => r.connsPerSec)),
      heapKibPerConn: stats(good.map((r) => r.heapKibPerConn)),
      heapTotalKibPerConn: stats(good.map((r) => r.heapTotalKibPerConn)),
      kibPerConnMarginal: stats(good.map((r) => r.kibPerConnMarginal)),
      kibPerConnSettled: stats(good.map((r) => r.kibPerConnSettled)),
      heapTotalKibPerConnSettled: stats(good.map((r) => r.heapTotalKibPerConnSettled)),
      serverWritesPerMsg: stats(good.map((r) => r.serverWritesPerMsg)),
      serverCpuUsPerMsg: stats(good.map((r) => r.serverCpuUsPerMsg)),
      serverUserUsPerMsg: stats(good.map((r) => r.serverUserUsPerMsg)),
      serverSysUsPerMsg: stats(good.map((r) => r.serverSysUsPerMsg)),
      clientCpuUsPerMsg: stats(good.map((r) => r.clientCpuUsPerMsg)),
      failedRounds: rounds.length - good.length,
    };
  }
  entry.ratios = [];
  for (const [a, b, goal, sense = 'min', which = metric] of scenario.ratios) {
    const sa = entry.summary[a]?.[which];
    const sb = entry.summary[b]?.[which];
    const pending = entry.pending[a] || entry.pending[b];
    const ratio = sa && sb && sb.median > 0 ? sa.median / sb.median : null;
    const met = ratio === null || goal === undefined ? null : sense === 'min' ? ratio >= goal : ratio <= goal;
    // The same comparison in server CPU per message (B/A, so that > 1 still means A is better).
    const ca = entry.summary[a]?.serverCpuUsPerMsg;
    const cb = entry.summary[b]?.serverCpuUsPerMsg;
    const cpuRatio = which === 'msgsPerSec' && ca && cb && ca.median > 0 ? round2(cb.median / ca.median) : null;
    // Per round too (round i of A against round i of B, run next to each other): the spread of the ratio.
    const ra = (entry.rounds[a] ?? []).map((r) => (r.ok ? r[which] : null));
    const rb = (entry.rounds[b] ?? []).map((r) => (r.ok ? r[which] : null));
    const perRound = ra.map((x, i) => (x && rb[i] ? x / rb[i] : null)).filter((x) => x !== null);
    const spread = perRound.length > 0 ? { min: round2(Math.min(...perRound)), max: round2(Math.max(...perRound)) } : null;
    entry.ratios.push({ a, b, metric: which, ratio: ratio === null ? null : round2(ratio), spread, cpuRatio, goal: goal ?? null, sense, met, pending: pending || null });
  }

  log('');
  const rows = [];
  if (scenario.kind === 'throughput') {
    rows.push(['server', 'msgs/s median', 'min–max', 'MB/s', 'p50 ms', 'p99 ms', 'srv CPU µs/msg (usr+sys)', 'srv writes/msg', 'client CPU µs/msg', 'rounds']);
    for (const server of scenario.servers) {
      if (entry.pending[server]) {
        rows.push([server, 'pending', '(see note)', '', '', '', '', '', '', '']);
        continue;
      }
      const s = entry.summary[server];
      if (!s) continue;
      const m = s.msgsPerSec;
      rows.push([server, m ? fmt(m.median) : 'failed', m ? `${fmt(m.min)}–${fmt(m.max)}` : '', s.mbPerSec ? fmt1(s.mbPerSec.median) : '', s.p50Ms ? fmt2(s.p50Ms.median) : '', s.p99Ms ? fmt2(s.p99Ms.median) : '', s.serverCpuUsPerMsg ? `${fmt2(s.serverCpuUsPerMsg.median)} (${fmt2(s.serverUserUsPerMsg.median)}+${fmt2(s.serverSysUsPerMsg.median)})` : '', s.serverWritesPerMsg && !(SERVERS[server].runtime && s.serverWritesPerMsg.median === 0) ? s.serverWritesPerMsg.median.toFixed(3) : 'n/a', s.clientCpuUsPerMsg ? fmt2(s.clientCpuUsPerMsg.median) : '', `${m?.n ?? 0}${s.failedRounds ? ` (+${s.failedRounds} failed)` : ''}`]);
    }
  } else {
    rows.push(['server', 'RSS KiB/conn median', 'min–max', 'settled KiB/conn', 'marginal KiB/conn', 'heap used / total KiB/conn', 'open ms median', 'conns/s', 'echo check', 'rounds']);
    for (const server of scenario.servers) {
      const s = entry.summary[server];
      if (!s) continue;
      const k = s.kibPerConn;
      const last = entry.rounds[server].at(-1);
      rows.push([server, k ? fmt2(k.median) : 'failed', k ? `${fmt2(k.min)}–${fmt2(k.max)}` : '', s.kibPerConnSettled ? `${fmt2(s.kibPerConnSettled.median)} [${fmt2(s.kibPerConnSettled.min)}–${fmt2(s.kibPerConnSettled.max)}]` : '', s.kibPerConnMarginal ? fmt2(s.kibPerConnMarginal.median) : '', s.heapKibPerConn ? `${fmt2(s.heapKibPerConn.median)} / ${s.heapTotalKibPerConn ? fmt2(s.heapTotalKibPerConn.median) : '?'}` : '', s.openMs ? fmt(s.openMs.median) : '', s.connsPerSec ? fmt(s.connsPerSec.median) : '', last?.echoed !== undefined ? `${last.echoed} ok, ${last.failed} failed` : '', `${k?.n ?? 0}`]);
    }
  }
  printTable(rows);
  for (const r of entry.ratios) log(`   ${ratioLine(r)}`);
  for (const [server, why] of Object.entries(entry.pending)) log(`   note: ${server} pending — ${why}`);
  for (const note of entry.notes) log(`   note: ${note}`);
}

function metricName(metric) {
  return { msgsPerSec: 'msgs/s', kibPerConn: 'RSS/conn', kibPerConnMarginal: 'marginal RSS/conn', kibPerConnSettled: 'settled RSS/conn', p99Ms: 'p99', p50Ms: 'p50' }[metric] ?? metric;
}

function ratioLine(r) {
  const spread = r.spread && r.spread.min !== r.spread.max ? ` [per round ${r.spread.min}–${r.spread.max}]` : '';
  const text = `${r.a}/${r.b} ${metricName(r.metric)} = ${r.ratio ?? (r.pending ? 'pending' : 'n/a')}${spread}${r.cpuRatio ? ` (by server CPU per message: ${r.cpuRatio})` : ''}`;
  if (r.goal === null) return text;
  const goal = `goal ${r.sense === 'min' ? '≥' : '≤'} ${r.goal}`;
  return `${text} (${goal}: ${r.met === null ? (r.pending ? 'pending' : 'not measured') : r.met ? 'met' : 'NOT met'})`;
}

function printSummary() {
  log('\n## goals');
  for (const [name, entry] of Object.entries(results.scenarios)) {
    for (const r of entry.ratios) if (r.goal !== null) log(`   ${name.padEnd(14)} ${ratioLine(r)}`);
    if (entry.kind === 'scale') {
      const r = entry.rounds.ours?.[0];
      log(`   ${name.padEnd(14)} ${r ? `${r.opened}/${entry.conns} open, echo ok on ${r.echoed ?? 0}, failed ${r.failed ?? '?'}: ${r.ok ? 'met' : 'NOT met'}` : 'not run'}${entry.conns < opts['scale-conns'] ? ` (only ${entry.conns} of ${opts['scale-conns']}: fd limit)` : ''}`);
    }
  }
}

function printTable(rows) {
  if (opts.markdown) {
    log(`| ${rows[0].join(' | ')} |`);
    log(`|${rows[0].map(() => '---').join('|')}|`);
    for (const row of rows.slice(1)) log(`| ${row.join(' | ')} |`);
    return;
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) log(`   ${row.map((cell, i) => String(cell).padEnd(widths[i])).join('  ')}`);
}

// ─── Helpers ────────────────────────────────────────────────────────────────────────────────────

function ensureBuild() {
  if (process.env.BENCH_DIST) return;
  if (existsSync(`${root}dist/index.mjs`) && existsSync(`${root}dist/compat.mjs`)) return;
  log('# dist/ is missing: building it once (node tools/build.mjs)');
  const built = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) die('build failed');
}

/**
 * Others may rebuild dist/ while a run goes on (tools/build.mjs deletes it first): every round uses a
 * private copy of the bundles taken at start, so all rounds measure the same build.
 */
function snapshotDist() {
  if (process.env.BENCH_DIST) return { dir: process.env.BENCH_DIST, source: process.env.BENCH_DIST, built: mtimeOf(`${process.env.BENCH_DIST}/index.mjs`), snapshot: null };
  const from = `${root}dist`;
  const dir = mkdtempSync(join(tmpdir(), 'wsserver-bench-dist-'));
  for (const file of readdirSync(from)) if (/\.mjs(\.map)?$/.test(file)) copyFileSync(join(from, file), join(dir, file));
  return { dir, source: 'dist/', built: mtimeOf(`${from}/index.mjs`), snapshot: dir };
}

function mtimeOf(file) {
  try {
    return statSync(file).mtime.toISOString();
  } catch {
    return '?';
  }
}

/**
 * The Bun peer's binary: BENCH_BUN, else bench/node_modules (installed here on first use with
 * `npm install --prefix bench`, ~100 MB, unless --no-install), else `bun` on PATH. Returns {binary,
 * version} or {missing: how to get it}; it counts only if `bun --version` answers.
 */
function locateBun() {
  const how = 'Bun is not installed: run `npm install --prefix bench` (the bench-only package bench/package.json; the binary ships inside the `bun` package) or set BENCH_BUN=/path/to/bun';
  const candidates = () =>
    [process.env.BENCH_BUN, `${here}node_modules/bun/bin/bun.exe`, `${here}node_modules/.bin/bun`, `${here}node_modules/@oven/bun-linux-x64/bin/bun`, 'bun'].filter(Boolean);
  const probe = () => {
    for (const binary of candidates()) {
      const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 20_000 });
      if (run.status === 0 && /^\d+\.\d+/.test(run.stdout.trim())) return { binary, version: run.stdout.trim() };
    }
    return null;
  };
  const found = probe();
  if (found || process.env.BENCH_BUN || opts['no-install']) return found ?? { missing: how };
  log('# bun peer: not found; installing it for the bench only (npm install --prefix bench)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['install', '--prefix', here, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit', timeout: 600_000 });
  if (install.status !== 0) return { missing: `${how} (the install just tried exited ${install.status ?? install.error?.code})` };
  return probe() ?? { missing: how };
}

function openFileLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.trim().split(/\s+/).slice(3, 5);
    return { soft: Number(soft) || Infinity, hard: Number(hard) || Infinity };
  } catch {
    return { soft: 1024, hard: 1024 };
  }
}

/** Connections one process can hold: one descriptor each, plus some for Node itself. */
function fdBudget() {
  return Math.max(100, results.fdLimit.soft - 256);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Linux: read/write syscall counts and CPU time (user, system; clock ticks of 10 ms) of a process,
 * null elsewhere. CPU time per message holds up far better than msgs/s on a shared machine.
 */
function ioOf(pid) {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      syscr: Number(/syscr: (\d+)/.exec(io)[1]),
      syscw: Number(/syscw: (\d+)/.exec(io)[1]),
      userMs: Number(fields[11]) * 10,
      sysMs: Number(fields[12]) * 10,
    };
  } catch {
    return null;
  }
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function fmt(x) {
  return Math.round(x).toLocaleString('en-US');
}

function fmt1(x) {
  return x.toFixed(1);
}

function fmt2(x) {
  return x.toFixed(2);
}

function log(line) {
  process.stdout.write(line + '\n');
}

function die(message) {
  process.stderr.write(`bench: ${message}\n`);
  try {
    if (dist.snapshot) rmSync(dist.snapshot, { recursive: true, force: true });
  } catch {
    // not taken yet
  }
  process.exit(1);
}

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) die(`unexpected argument ${arg}`);
    const name = arg.slice(2);
    if (!(name in defaults)) die(`unknown option ${arg}`);
    if (typeof defaults[name] === 'boolean') out[name] = true;
    else {
      const value = argv[++i];
      if (value === undefined) die(`${arg} needs a value`);
      out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
    }
  }
  return out;
}
