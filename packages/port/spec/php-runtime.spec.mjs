// Each PHP helper the translator emits, checked against PHP itself (Debian's php-cli, which
// tools/ci-setup.sh installs) on a table of inputs: every row runs through both and must agree.
// Strings are byte strings on both sides (one char per byte here, raw bytes in PHP).
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import * as rt from '../src/php-runtime.mjs';

const php = spawnSync('php', ['-r', 'echo PHP_VERSION;'], { encoding: 'utf8' });
const phpVersion = php.status === 0 ? php.stdout : null;

const b = (text) => Buffer.from(text, 'utf8').toString('latin1'); // a PHP literal's bytes

/** [PHP expression using $a0, $a1 …, the helper, args]. */
const ROWS = [
  ...['', 'abc', b('café'), b('日本'), '\x00\xff\x80', 'a\nb'].map((s) => ['strlen($a0)', rt.$strlen, [s]]),
  ...[
    ['hello', 1], ['hello', -3], ['hello', 1, 3], ['hello', 1, -1], ['hello', 10], ['hello', -10, 2], ['hello', 2, 0], ['hello', 3, -5],
    [b('café'), 0, 4], [b('日本'), 1, 2], ['', 0],
  ].map((args) => [`substr(${args.map((_, i) => `$a${i}`).join(', ')})`, rt.$substr, args]),
  ...['Hello World', b('Ärger É'), 'ABC-xyz_09', '\xc9\xe9'].flatMap((s) => [
    ['strtolower($a0)', rt.$strtolower, [s]],
    ['strtoupper($a0)', rt.$strtoupper, [s]],
  ]),
  ...['  hi  ', '\t\n hi \x00\x0B', 'xxhixx', '', ' '].flatMap((s) => [
    ['trim($a0)', rt.$trim, [s]],
    ['ltrim($a0)', rt.$ltrim, [s]],
    ['rtrim($a0)', rt.$rtrim, [s]],
  ]),
  ['trim($a0, $a1)', rt.$trim, ['xxhixx', 'x']],
  ['rtrim($a0, $a1)', rt.$rtrim, ['line\r\n', '\r\n']],
  ['str_repeat($a0, $a1)', rt.$str_repeat, ['ab', 3]],
  ['str_repeat($a0, $a1)', rt.$str_repeat, ['=', 0]],
  ...[['a,b,c'], ['a,b,c', 2], ['a,b,c', -1], ['a,b,c', 0], [''], [',a,,b,']].map((args) => [
    `explode(',', ${args.map((_, i) => `$a${i}`).join(', ')})`,
    (...a) => rt.$explode(',', ...a),
    args,
  ]),
  ['explode($a0, $a1)', rt.$explode, [' ', 'open /chat now']],
  ['implode($a0, $a1)', rt.$implode, [', ', ['a', 1, 2.5, true, null]]],
  ['implode($a0)', rt.$implode, [['x', 'y']]],
  ['count($a0)', rt.$count, [[1, 2, 3]]],
  ['count($a0)', rt.$count, [[]]],
  ...['', '0', '0.0', 'a', ' ', 0, 1, 0.0, null, true, false, [], [0]].map((v) => ['empty($a0)', rt.$empty, [v]]),
  ...[0, 1, -1, 42, 1.5, 0.1 + 0.2, 1 / 3, 1e20, 2.5e-5, 0.0001, -0.5, 1e14 + 0.5, 123456.789, true, false, null, 'x'].map((v) => [
    '(string)$a0',
    rt.$str,
    [v],
  ]),
  ...[
    ['1', '01'], ['10', '1e1'], [100, '1e2'], ['abc', 0], [null, false], ['', null], ['0', false], [' 1', 1], ['1 ', 1],
    ['abc', 'ABC'], [1, '1'], [1, 1.0], ['1', 1.5], [true, 'a'], [false, ''], [null, 0], ['null', null], [0, ''], ['0', ''],
    [[1, 2], [1, 2]], [[1], [2]],
  ].map((args) => ['$a0 == $a1', rt.$eq, args]),
  ...['', '0', '0.0', 'a', '00', 0, 2, [], [1], null].map((v) => ['(bool)$a0', rt.$bool, [v]]),
  ...['12', ' 12', '12 ', '1e3', '.5', '5.', 'abc', '0x1A', '', ' ', '-3.2e-2', '+1'].map((v) => ['is_numeric($a0)', rt.$isNumeric, [v]]),
  ...['5', '5 apples', '2.5', ' 7', true, null, 3].map((v) => ['@($a0 + 0)', rt.$num, [v]]),
  ...[
    ['%d', 42], ['%5d|%-5d|%05d', 42, 42, 42], ['%+d %+d', 5, -5], ['%s and %s', 'a', 'b'], ['%10s|%-10s|', 'right', 'left'],
    ["%'*8s", 'hi'], ['%.2f', 3.14159], ['%06.2f', 3.14159], ['%5.1f', -2.25], ['%.1f', 2.25], ['%.2f', 0.125], ['%.0f', 2.5], ['%.0f', -0.5], ['%.2f', 1.005], ['%.3f', 1234567.8915], ['%.1f', 0.05], ['%e', 1234.56], ['%.2e', 0.000123], ['%x %X %o %b', 255, 255, 8, 5],
    ['%c', 65], ['%u', -1], ['%%'], ['%2$s %1$s', 'world', 'hello'], ['%.3s', 'abcdef'], ['%d: %d bytes', '7', '12'], ['%s', 1.5], ['%d', 3.99], ['%d', '12abc'],
  ].map((args) => [`sprintf(${args.map((_, i) => `$a${i}`).join(', ')})`, rt.$sprintf, args]),
  ...['Y-m-d H:i:s', 'D, d M Y', 'l jS \\of F Y h:i:s A', 'N w z t L', 'G g a y n', 'U', 'c', 'r', 'H:i:s.v'].flatMap((f) =>
    [0, 1700000000, 951782400].map((ts) => ['date($a0, $a1)', rt.$date, [f, ts]]),
  ),
];

/** A PHP expression for a JavaScript value (strings as their bytes). */
function phpValue(v) {
  if (typeof v === 'string') return `base64_decode('${Buffer.from(v, 'latin1').toString('base64')}')`;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : v.toPrecision(17).replace(/^(-?\d+)$/, '$1.0');
  if (v === true || v === false) return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(phpValue).join(', ')}]`;
  throw new Error(`no PHP form for ${v}`);
}

/** The result as a comparable value: strings as base64 of their bytes. */
function canonical(v) {
  if (typeof v === 'string') return { s: Buffer.from(v, 'latin1').toString('base64') };
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'number') return { n: v };
  return v;
}

function runPhp(rows) {
  const lines = rows.map(([expression, , args]) => {
    const assign = args.map((a, i) => `$a${i} = ${phpValue(a)};`).join(' ');
    return `${assign} $r = ${expression}; echo json_encode(enc($r)), "\\n";`;
  });
  const program = `function enc($v) { if (is_string($v)) return ['s' => base64_encode($v)]; if (is_array($v)) return array_map('enc', $v); if (is_int($v) || is_float($v)) return ['n' => $v]; return $v; }\n${lines.join('\n')}`;
  const out = execFileSync('php', ['-d', 'date.timezone=UTC', '-d', 'error_reporting=0', '-r', program], { encoding: 'utf8' });
  return out.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('port/php-runtime: the helpers agree with php-cli', function () {
  let expected;
  before(() => {
    // tools/ci-setup.sh installs it, as it does Chromium for the interop specs: missing, the setup is broken.
    if (!phpVersion) throw new Error("php-cli is not installed: `sudo apt-get install php-cli` or `sudo bash tools/ci-setup.sh`");
    expected = runPhp(ROWS);
  });

  ROWS.forEach(([expression, helper, args], i) => {
    it(`${expression} with ${JSON.stringify(args)}`, () => {
      expect(canonical(helper(...args))).to.deep.equal(expected[i]);
    });
  });

  it(`checks against PHP ${phpVersion ?? '(absent)'} of at least 8.2 (strtoupper is ASCII-only from 8.2)`, () => {
    const [major, minor] = phpVersion.split('.').map(Number);
    expect(major * 100 + minor).to.be.at.least(802);
  });
});

describe('port/php-runtime: the parts php-cli does not show', () => {
  it('$num refuses a non-numeric string the way PHP 8 does (TypeError)', () => {
    expect(() => rt.$num('abc')).to.throw(TypeError, 'Unsupported operand types');
  });

  it('$text gives SendText the bytes of a byte string, and leaves text above U+00FF as text', () => {
    expect(rt.$text(b('café'))).to.deep.equal(Buffer.from('café', 'utf8'));
    expect(rt.$text('日本')).to.equal('日本');
  });

  it('$u8 turns a UTF-8 literal into the bytes PHP holds', () => {
    expect(rt.$u8('é')).to.equal('\xc3\xa9');
  });

  it('$entries walks lists and Maps in order, with their keys', () => {
    expect(rt.$entries(['a', 'b'])).to.deep.equal([[0, 'a'], [1, 'b']]);
    expect(rt.$entries(new Map([[3, 'x'], ['k', 'y']]))).to.deep.equal([[3, 'x'], ['k', 'y']]);
  });

  it('file_put_contents / file_get_contents keep bytes as bytes', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'port-rt-'));
    try {
      const file = join(dir, 'x.bin');
      expect(rt.$file_put_contents(file, '\x00\xff')).to.equal(2);
      expect(rt.$file_put_contents(file, 'z', 8)).to.equal(1);
      expect(readFileSync(file)).to.deep.equal(Buffer.from([0, 0xff, 0x7a]));
      expect(rt.$file_get_contents(file)).to.equal('\x00\xffz');
      expect(rt.$file_get_contents(join(dir, 'missing'))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DEPENDS names every helper, and only helpers that exist', () => {
    const names = Object.keys(rt).filter((k) => typeof rt[k] === 'function');
    expect(Object.keys(rt.DEPENDS).sort()).to.deep.equal(names.sort());
    for (const deps of Object.values(rt.DEPENDS)) for (const d of deps) expect(names).to.include(d);
  });
});
