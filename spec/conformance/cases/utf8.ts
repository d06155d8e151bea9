/**
 * 6 UTF-8 (RFC 6455 §5.6, §8.1; RFC 3629): text messages must be valid UTF-8 as a whole, wherever
 * frames and TCP writes cut them, and an endpoint that can see a message is invalid should fail it
 * then (fail fast) rather than after the rest arrived.
 */
import { defineCase, type ConformanceCase } from '../case';
import { OP, encodeFrame } from '../wire';
import { hexBytes } from './util';

const G = 'UTF-8';

/** 'aκ€𝄞b': 1-, 2-, 3- and 4-byte characters, 11 bytes. */
const MIXED = Buffer.from('aκ€𝄞b', 'utf8');

/** Valid edge cases (RFC 3629 §4 and the Unicode boundaries). */
const VALID: Array<[string, string]> = [
  ['U+0000', '00'],
  ['U+007F', '7f'],
  ['U+0080', 'c2 80'],
  ['U+07FF', 'df bf'],
  ['U+0800', 'e0 a0 80'],
  ['U+D7FF (last before the surrogates)', 'ed 9f bf'],
  ['U+E000 (first after the surrogates)', 'ee 80 80'],
  ['U+FFFD', 'ef bf bd'],
  ['U+FFFE (a noncharacter, still valid UTF-8)', 'ef bf be'],
  ['U+FFFF', 'ef bf bf'],
  ['U+10000', 'f0 90 80 80'],
  ['U+10FFFF', 'f4 8f bf bf'],
  ['Greek, CJK and emoji', Buffer.from('κόσμε 日本語 😀', 'utf8').toString('hex')],
];

/** Invalid sequences (the categories of Markus Kuhn's decoder stress test, written out here). */
const INVALID: Array<[string, string]> = [
  ['lone continuation byte 80', '80'],
  ['lone continuation byte bf', 'bf'],
  ['four continuation bytes', '80 bf 80 bf'],
  ['2-byte start followed by a space', 'c2 20'],
  ['3-byte start followed by a space', 'e1 20'],
  ['4-byte start followed by a space', 'f1 20'],
  ['2-byte sequence missing its last byte (mid-text)', 'c2 41'],
  ['3-byte sequence missing its last byte (mid-text)', 'e2 82 41'],
  ['4-byte sequence missing its last byte (mid-text)', 'f0 9f 98 41'],
  ['impossible byte fe', 'fe'],
  ['impossible byte ff', 'ff'],
  ['impossible bytes fe fe ff ff', 'fe fe ff ff'],
  ['overlong "/" in 2 bytes', 'c0 af'],
  ['overlong "/" in 3 bytes', 'e0 80 af'],
  ['overlong "/" in 4 bytes', 'f0 80 80 af'],
  ['largest overlong 2-byte (c1 bf)', 'c1 bf'],
  ['largest overlong 3-byte (e0 9f bf)', 'e0 9f bf'],
  ['largest overlong 4-byte (f0 8f bf bf)', 'f0 8f bf bf'],
  ['overlong NUL in 2 bytes', 'c0 80'],
  ['overlong NUL in 3 bytes', 'e0 80 80'],
  ['UTF-16 high surrogate U+D800', 'ed a0 80'],
  ['UTF-16 high surrogate U+DB7F', 'ed ad bf'],
  ['UTF-16 low surrogate U+DC00', 'ed b0 80'],
  ['UTF-16 low surrogate U+DFFF', 'ed bf bf'],
  ['surrogate pair U+D800 U+DC00 encoded separately', 'ed a0 80 ed b0 80'],
  ['beyond U+10FFFF (f4 90 80 80)', 'f4 90 80 80'],
  ['5-byte sequence', 'f8 88 80 80 80'],
  ['6-byte sequence', 'fc 84 80 80 80 80'],
  ['start byte f5', 'f5 80 80 80'],
];

/** Invalid endings: the message stops inside a character. */
const TRUNCATED: Array<[string, string]> = [
  ['ends after the first of 2 bytes', 'c2'],
  ['ends after 2 of 3 bytes', 'e2 82'],
  ['ends after 3 of 4 bytes', 'f0 9f 98'],
];

export function utf8Cases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const echo = (id: string, title: string, frames: Buffer[], expected: Buffer) =>
    defineCase(id, G, title, async (ctx) => {
      const p = await ctx.open();
      await p.sendAll(frames.map((payload, i) => ({ opcode: i === 0 ? OP.TEXT : OP.CONT, fin: i === frames.length - 1, payload })));
      await p.expectMessage(OP.TEXT, expected);
      await p.closeNormally();
    });
  const fail = (id: string, title: string, frames: Buffer[]) =>
    defineCase(id, G, title, async (ctx) => {
      const p = await ctx.open();
      await p.sendAll(frames.map((payload, i) => ({ opcode: i === 0 ? OP.TEXT : OP.CONT, fin: i === frames.length - 1, payload })));
      // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is
      // not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_";
      // §7.4.1: 1007 "data within a message that was not consistent with the type of the message".
      await p.expectClose(1007);
    });

  out.push(
    echo('6.1.1', 'empty text message', [Buffer.alloc(0)], Buffer.alloc(0)),
    echo('6.1.2', 'empty text message in 3 empty fragments', [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)], Buffer.alloc(0)),
    echo('6.1.3', 'empty, non-empty, empty fragments', [Buffer.alloc(0), Buffer.from('middle frame payload'), Buffer.alloc(0)], Buffer.from('middle frame payload')),
  );
  VALID.forEach(([what, hex], i) => out.push(echo(`6.2.${i + 1}`, `valid: ${what}`, [hexBytes(hex)], hexBytes(hex))));

  // Fragment boundaries at every byte of 2-, 3- and 4-byte characters.
  for (let cut = 1; cut < MIXED.length; cut++) {
    out.push(echo(`6.3.${cut}`, `'aκ€𝄞b' in 2 fragments cut after byte ${cut}`, [MIXED.subarray(0, cut), MIXED.subarray(cut)], MIXED));
  }
  const oneByteFrames: Buffer[] = [];
  for (let i = 0; i < MIXED.length; i++) oneByteFrames.push(MIXED.subarray(i, i + 1));
  out.push(
    echo(`6.3.${MIXED.length}`, `'aκ€𝄞b' with every byte in its own fragment`, oneByteFrames, MIXED),
    defineCase(`6.3.${MIXED.length + 1}`, G, `'aκ€𝄞b' in one frame written byte by byte`, async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.TEXT, payload: MIXED }, { size: 1 });
      await p.expectMessage(OP.TEXT, MIXED);
      await p.closeNormally();
    }),
  );

  INVALID.forEach(([what, hex], i) => out.push(fail(`6.4.${i + 1}`, `invalid: ${what}`, [Buffer.concat([Buffer.from('κόσμε'), hexBytes(hex), Buffer.from('edited')])])));
  TRUNCATED.forEach(([what, hex], i) => {
    out.push(fail(`6.5.${2 * i + 1}`, `message ${what}`, [Buffer.concat([Buffer.from('κόσμε'), hexBytes(hex)])]));
    out.push(fail(`6.5.${2 * i + 2}`, `fragmented message ${what} (empty final fragment)`, [Buffer.concat([Buffer.from('κόσμε'), hexBytes(hex)]), Buffer.alloc(0)]));
  });
  // Invalid sequences cut across fragments: neither half is invalid on its own terms.
  const splitBad: Array<[string, string, number]> = [
    ['surrogate U+D800 cut after its first byte', 'ed a0 80', 1],
    ['overlong "/" cut after its first byte', 'e0 80 af', 1],
    ['beyond U+10FFFF cut after 2 bytes', 'f4 90 80 80', 2],
    ['start byte followed by a new start byte in the next fragment', 'e2 82 e2 82 ac', 2],
  ];
  splitBad.forEach(([what, hex, at], i) => {
    const bad = hexBytes(hex);
    out.push(fail(`6.6.${i + 1}`, `invalid across fragments: ${what}`, [Buffer.concat([Buffer.from('ab'), bad.subarray(0, at)]), Buffer.concat([bad.subarray(at), Buffer.from('cd')])]));
  });

  // Fail fast: the invalid bytes arrive, then a pause; a strict server has failed the connection before
  // the rest is sent. One that waits for the whole message is NON-STRICT.
  const FAST_MS = 500;
  const failFast = (id: string, title: string, first: Buffer, rest: Buffer) =>
    defineCase(id, G, title, async (ctx) => {
      const p = await ctx.open();
      await p.write(first);
      if (await p.closedEarly(1007, FAST_MS)) return;
      p.note(`fail-fast: still open ${FAST_MS} ms after the invalid bytes (closed only after the rest of the message)`);
      await p.write(rest);
      await p.expectClose(1007);
    });
  const fragments = (parts: Array<[Buffer, boolean]>) => Buffer.concat(parts.map(([payload, fin], i) => encodeFrame({ opcode: i === 0 ? OP.TEXT : OP.CONT, fin, payload })));
  out.push(
    failFast(
      '6.7.1',
      'valid fragment, then a fragment with a surrogate, then (after a pause) the last fragment',
      fragments([
        [Buffer.from('κόσμε'), false],
        [hexBytes('ed a0 80'), false],
      ]),
      encodeFrame({ opcode: OP.CONT, payload: 'edited' }),
    ),
    failFast(
      '6.7.2',
      'fragment ending in f4 90 (already beyond U+10FFFF), last fragment after a pause',
      fragments([[Buffer.concat([Buffer.from('κόσμε'), hexBytes('f4 90')]), false]]),
      encodeFrame({ opcode: OP.CONT, payload: hexBytes('80 80') }),
    ),
  );
  // Within one frame: the first half of the frame (with the bad byte) arrives, the rest after a pause.
  const frame = encodeFrame({ opcode: OP.TEXT, payload: Buffer.concat([Buffer.from('κόσμε'), hexBytes('ff'), Buffer.from('x'.repeat(200))]) });
  out.push(failFast('6.7.3', 'one frame: bytes up to an ff arrive, the rest of the frame after a pause', frame.subarray(0, 20), frame.subarray(20)));
  const big = encodeFrame({ opcode: OP.TEXT, payload: Buffer.concat([hexBytes('c0 af'), Buffer.from('y'.repeat(65536))]) });
  out.push(failFast('6.7.4', 'a 64 KiB frame starting with an overlong: 100 bytes, then the rest after a pause', big.subarray(0, 100), big.subarray(100)));
  out.push(
    defineCase('6.7.5', G, 'invalid UTF-8 in the first of 2 fragments, valid second fragment sent without pause', async (ctx) => {
      const p = await ctx.open();
      await p.write(fragments([[hexBytes('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80'), false], [Buffer.from('edited'), true]]));
      await p.expectClose(1007);
    }),
  );
  // A control frame between fragments does not reset the UTF-8 state.
  out.push(
    defineCase('6.8.1', G, 'character cut across fragments with a ping in between', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, fin: false, payload: MIXED.subarray(0, 5) },
        { opcode: OP.PING, payload: 'mid-character' },
        { opcode: OP.CONT, payload: MIXED.subarray(5) },
      ]);
      await p.expectPong('mid-character');
      await p.expectMessage(OP.TEXT, MIXED);
      await p.closeNormally();
    }),
    defineCase('6.8.2', G, 'binary message with invalid UTF-8 is echoed (only text is checked)', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.BINARY, payload: hexBytes('ed a0 80 ff fe c0 af') });
      await p.expectMessage(OP.BINARY, hexBytes('ed a0 80 ff fe c0 af'));
      await p.closeNormally();
    }),
  );
  return out;
}
