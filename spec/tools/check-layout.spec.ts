import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const tool = join(root, 'tools', 'check-layout.mjs');

function check(args: string[] = []) {
  const result = spawnSync(process.execPath, [tool, '--json', ...args], { encoding: 'utf8' });
  return { status: result.status, problems: JSON.parse(result.stdout || '[]') as string[] };
}

/** Checks a scratch tree holding `files` (path → content, folders made as needed). */
function checkTree(files: Record<string, string>): { status: number | null; problems: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return check(['--root', dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tools/check-layout.mjs', () => {
  it('finds no I/O import or timer call under lib/protocol and no module without a spec in this checkout', () => {
    const { status, problems } = check();
    expect(problems).to.deep.equal([]);
    expect(status).to.equal(0);
  });

  it('fails on an I/O import in the protocol core and on a module without a spec', () => {
    const { status, problems } = checkTree({
      'lib/protocol/leaky.ts': "import { connect } from 'node:net';\nexport const x = connect;\n",
      'lib/protocol/tested.ts': "import { readFile } from 'fs/promises';\n",
      'spec/protocol/tested.topic.spec.ts': '',
    });
    expect(status).to.equal(1);
    expect(problems).to.deep.equal([
      'lib/protocol/leaky.ts imports net: lib/protocol must stay free of I/O',
      'lib/protocol/tested.ts imports fs/promises: lib/protocol must stay free of I/O',
      'lib/protocol/leaky.ts has no spec (expected spec/protocol/leaky.spec.ts)',
    ]);
  });

  /** Checks a tree holding only lib/protocol/core.ts (with a spec) containing `source`. */
  function checkProtocolFile(source: string): { status: number | null; problems: string[] } {
    return checkTree({ 'lib/protocol/core.ts': source, 'spec/protocol/core.spec.ts': '' });
  }

  // One row per forbidden import: zlib sits behind MessageCodec (lib/codec), timers and EventEmitter
  // belong to the engine, sockets to the server.
  const forbiddenImports: Array<[string, string]> = [
    ["import { createDeflateRaw } from 'node:zlib';", 'zlib'],
    ["import zlib = require('zlib');", 'zlib'],
    ["import type { InflateRaw } from 'node:zlib';", 'zlib'],
    ["import timers = require('node:timers');", 'timers'],
    ["import { scheduler } from 'timers/promises';", 'timers/promises'],
    ["import { EventEmitter } from 'node:events';", 'events'],
    ["import EventEmitter = require('events');", 'events'],
    ["export { once } from 'events';", 'events'],
    ["import * as net from 'net';", 'net'],
    ["import { connect } from 'node:tls';", 'tls'],
    ["import { createSocket } from 'node:dgram';", 'dgram'],
    ["import 'node:zlib';", 'zlib'],
    ["const z = await import('node:zlib');", 'zlib'],
  ];
  for (const [source, module] of forbiddenImports) {
    it(`fails on \`${source}\` under lib/protocol`, () => {
      const { status, problems } = checkProtocolFile(`${source}\nexport const x = 1;\n`);
      expect(problems).to.deep.equal([`lib/protocol/core.ts imports ${module}: lib/protocol must stay free of I/O`]);
      expect(status).to.equal(1);
    });
  }

  // One row per forbidden global: the core never schedules anything; the engine owns time.
  const forbiddenCalls: Array<[string, string]> = [
    ['setTimeout(() => {}, 10);', 'setTimeout'],
    ['const t = setInterval(tick, 1000);', 'setInterval'],
    ['setImmediate(next);', 'setImmediate'],
    ['clearTimeout(timer);', 'clearTimeout'],
    ['clearInterval(timer);', 'clearInterval'],
    ['clearImmediate(handle);', 'clearImmediate'],
    ['process.nextTick(flush);', 'process.nextTick'],
    ['process .nextTick(flush);', 'process.nextTick'],
    ['queueMicrotask(() => emit());', 'queueMicrotask'],
    ['globalThis.setTimeout(run, 0);', 'setTimeout'],
    ['const later = setTimeout;', 'setTimeout'],
    ['const s = `waiting ${setTimeout(f, 1)}`;', 'setTimeout'],
  ];
  for (const [source, name] of forbiddenCalls) {
    it(`fails on \`${source}\` under lib/protocol, naming the line`, () => {
      const { status, problems } = checkProtocolFile(`export const x = 1;\n${source}\n`);
      expect(problems).to.deep.equal([`lib/protocol/core.ts:2 uses ${name}: lib/protocol must not schedule work, the engine owns time`]);
      expect(status).to.equal(1);
    });
  }

  it('ignores those names in comments, strings, templates and regular expressions', () => {
    const source = [
      "// The engine calls setTimeout; import { x } from 'node:zlib' is not ours.",
      '/* process.nextTick(flush) would break the sans-I/O rule */',
      "const message = 'call setTimeout yourself';",
      'const hint = `no setImmediate here, ${message.length} chars`;',
      'const pattern = /setInterval|[/]queueMicrotask/g;',
      'const ratio = message.length / 2 / hint.length; // division, not a regex: setTimeout',
      'export function timeoutHint(): string { return message + hint + String(pattern) + ratio; }',
      "export const sleeper = { setTimeoutish: 1, mySetTimeout: 2, module: 'node:zlib' };",
    ].join('\n');
    expect(checkProtocolFile(source)).to.deep.equal({ status: 0, problems: [] });
  });

  it('fails on a socket paused or resumed outside the read gate, and lets the read gate do it', () => {
    const { status, problems } = checkTree({
      'lib/server/read-gate.ts': 'export const f = (s: any) => { s.pause(); s.resume(); };\n',
      'lib/server/sneaky.ts': "// a comment may say socket.pause()\nexport const g = (s: any) => {\n  s.socket .pause();\n  s.resume( );\n};\n",
      'spec/server/read-gate.spec.ts': '',
      'spec/server/sneaky.spec.ts': '',
    });
    expect(problems).to.deep.equal([
      'lib/server/sneaky.ts:3 calls .pause(): only lib/server/read-gate.ts decides reading',
      'lib/server/sneaky.ts:4 calls .resume(): only lib/server/read-gate.ts decides reading',
    ]);
    expect(status).to.equal(1);
  });
});
