/**
 * 12 Compressed echoes and 13 permessage-deflate negotiation (RFC 7692). The probe checks every
 * negotiation response against RFC 7692 §7.1 and inflates every compressed reply with exactly the
 * agreed window and context rules, so a server that says one thing and does another fails here.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { defineCase, type CaseContext, type ConformanceCase } from '../case';
import { OP, encodeFrame } from '../wire';
import { CaseFailure, type Probe } from '../probe';
import { CORRUPT_DEFLATE } from '../deflate-codec';
import { binaryOf, noiseOf, proseOf } from './payloads';
import { hexBytes } from './util';

const G12 = 'Deflate echo';
const G13 = 'Deflate negotiation';
/** What browsers offer (Chromium and Firefox send exactly this). */
const BROWSER_OFFER = 'permessage-deflate; client_max_window_bits';

async function openDeflate(ctx: CaseContext, offer = BROWSER_OFFER): Promise<Probe> {
  const p = await ctx.open({ extensions: offer });
  if (!p.deflate) throw new CaseFailure(`permessage-deflate not accepted for "${offer}"`);
  return p;
}

/** Sends each payload compressed and expects each echo, in order. */
async function compressedEchoes(p: Probe, messages: Array<[number, Buffer]>, ms = 5000): Promise<void> {
  for (const [opcode, data] of messages) await p.sendMessage(opcode, data);
  for (const [opcode, data] of messages) await p.expectMessage(opcode, data, ms);
}

function echoCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const sizes = [16, 64, 256, 1024, 4096, 16384, 65536, 262144];
  sizes.forEach((size, i) => {
    out.push(
      defineCase(`12.1.${i + 1}`, G12, `10 compressed text messages of ${size} bytes (context takeover)`, async (ctx) => {
        const p = await openDeflate(ctx);
        const messages: Array<[number, Buffer]> = [];
        for (let m = 0; m < 10; m++) messages.push([OP.TEXT, proseOf(size + m).subarray(0, size + m)]);
        // proseOf can cut a character at the end: keep whole characters only.
        for (const entry of messages) entry[1] = Buffer.from(entry[1].toString('utf8').replace(/\uFFFD/g, ''), 'utf8');
        await compressedEchoes(p, messages);
        await p.closeNormally();
      }),
    );
  });
  sizes.forEach((size, i) => {
    out.push(
      defineCase(`12.2.${i + 1}`, G12, `10 compressed binary messages of ${size} bytes of noise`, async (ctx) => {
        const p = await openDeflate(ctx);
        const messages: Array<[number, Buffer]> = [];
        for (let m = 0; m < 10; m++) messages.push([OP.BINARY, noiseOf(size, m)]);
        await compressedEchoes(p, messages);
        await p.closeNormally();
      }),
    );
  });
  out.push(
    // RFC 7692 §6.1: RSV1 "set on the first frame of a compressed message" — the compressed bytes may be
    // split over frames like any payload.
    defineCase('12.3.1', G12, 'compressed message in 3 fragments (RSV1 on the first only)', async (ctx) => {
      const p = await openDeflate(ctx);
      const data = proseOf(3000);
      const compressed = p.compress(data);
      const third = Math.ceil(compressed.length / 3);
      await p.sendAll([
        { opcode: OP.TEXT, rsv: 4, fin: false, payload: compressed.subarray(0, third) },
        { opcode: OP.CONT, fin: false, payload: compressed.subarray(third, 2 * third) },
        { opcode: OP.CONT, payload: compressed.subarray(2 * third) },
      ]);
      await p.expectMessage(OP.TEXT, data);
      await p.closeNormally();
    }),
    // RFC 7692 §6.1: "An endpoint MUST NOT set the RSV1 bit on continuation frames" (and §6: the receiver fails).
    defineCase('12.3.2', G12, 'RSV1 on a continuation frame', async (ctx) => {
      const p = await openDeflate(ctx);
      const compressed = p.compress(proseOf(300));
      await p.sendAll([
        { opcode: OP.TEXT, rsv: 4, fin: false, payload: compressed.subarray(0, 10) },
        { opcode: OP.CONT, rsv: 4, payload: compressed.subarray(10) },
      ]);
      await p.expectClose(1002);
    }),
    // RFC 7692 §6: "[permessage-deflate] ... applies to data messages only"; RSV1 on a control frame is undefined.
    defineCase('12.3.3', G12, 'RSV1 on a ping', async (ctx) => {
      const p = await openDeflate(ctx);
      await p.send({ opcode: OP.PING, rsv: 4, payload: 'compressed?' });
      await p.expectClose(1002);
    }),
    // RFC 7692 §8.2.3.4-ish: data that does not inflate fails the connection; 1007 names the cause.
    defineCase('12.3.4', G12, 'compressed frame whose payload is not valid DEFLATE', async (ctx) => {
      const p = await openDeflate(ctx);
      await p.send({ opcode: OP.BINARY, rsv: 4, payload: CORRUPT_DEFLATE });
      await p.expectClose(1007);
    }),
    defineCase('12.3.5', G12, 'compressed text that inflates to invalid UTF-8', async (ctx) => {
      const p = await openDeflate(ctx);
      await p.sendMessage(OP.TEXT, Buffer.concat([Buffer.from('κόσμε'), hexBytes('ed a0 80'), Buffer.from('edited')]));
      await p.expectClose(1007);
    }),
    // RFC 7692 §6: a message without RSV1 is simply not compressed.
    defineCase('12.3.6', G12, 'uncompressed messages on a deflate connection', async (ctx) => {
      const p = await openDeflate(ctx);
      await p.sendMessage(OP.TEXT, 'plain text', { compress: false });
      await p.sendMessage(OP.BINARY, binaryOf(500), { compress: false });
      await p.expectMessage(OP.TEXT, 'plain text');
      await p.expectMessage(OP.BINARY, binaryOf(500));
      await p.closeNormally();
    }),
    // RFC 7692 §7.2.3.6: an empty message compresses to the single byte 0x00.
    defineCase('12.3.7', G12, 'compressed empty text and binary messages', async (ctx) => {
      const p = await openDeflate(ctx);
      await compressedEchoes(p, [
        [OP.TEXT, Buffer.alloc(0)],
        [OP.BINARY, Buffer.alloc(0)],
      ]);
      await p.closeNormally();
    }),
    defineCase('12.3.8', G12, '4 MiB of zeros compressed to a few KiB', async (ctx) => {
      const p = await openDeflate(ctx);
      await compressedEchoes(p, [[OP.BINARY, Buffer.alloc(4 * 1024 * 1024)]], 10000);
      await p.closeNormally();
    }),
    defineCase('12.3.9', G12, 'compressed and uncompressed messages alternating (context kept across both)', async (ctx) => {
      const p = await openDeflate(ctx);
      const text = proseOf(2000);
      await p.sendMessage(OP.TEXT, text);
      await p.sendMessage(OP.TEXT, 'plain', { compress: false });
      await p.sendMessage(OP.TEXT, text);
      await p.sendMessage(OP.BINARY, binaryOf(100), { compress: false });
      await p.sendMessage(OP.TEXT, text);
      await p.expectMessage(OP.TEXT, text);
      await p.expectMessage(OP.TEXT, 'plain');
      await p.expectMessage(OP.TEXT, text);
      await p.expectMessage(OP.BINARY, binaryOf(100));
      await p.expectMessage(OP.TEXT, text);
      await p.closeNormally();
    }),
    defineCase('12.3.10', G12, 'compressed message with a ping between its fragments', async (ctx) => {
      const p = await openDeflate(ctx);
      const data = proseOf(5000);
      const compressed = p.compress(data);
      await p.sendAll([
        { opcode: OP.TEXT, rsv: 4, fin: false, payload: compressed.subarray(0, 20) },
        { opcode: OP.PING, payload: 'between' },
        { opcode: OP.CONT, payload: compressed.subarray(20) },
      ]);
      await p.expectPong('between');
      await p.expectMessage(OP.TEXT, data);
      await p.closeNormally();
    }),
    // RFC 7692 §7.2.3.3: a sender may end a message with a BFINAL=1 block; §7.2.2: the receiver then
    // ignores the 4 appended bytes. A following message starts a fresh DEFLATE stream.
    defineCase('12.3.11', G12, 'message ending in a BFINAL block, then another message', async (ctx) => {
      const p = await openDeflate(ctx, 'permessage-deflate; client_no_context_takeover');
      const first = proseOf(1000);
      await p.send({ opcode: OP.TEXT, rsv: 4, payload: deflateRawSync(first, { finishFlush: constants.Z_FINISH }) });
      await p.sendMessage(OP.TEXT, 'second message');
      await p.expectMessage(OP.TEXT, first);
      await p.expectMessage(OP.TEXT, 'second message');
      await p.closeNormally();
    }),
    defineCase('12.3.12', G12, 'compressed message written byte by byte', async (ctx) => {
      const p = await openDeflate(ctx);
      const data = proseOf(400);
      await p.write(encodeFrame({ opcode: OP.TEXT, rsv: 4, payload: p.compress(data) }), { size: 1 });
      await p.expectMessage(OP.TEXT, data);
      await p.closeNormally();
    }),
    defineCase('12.3.13', G12, '500 compressed messages in one write (context takeover throughout)', async (ctx) => {
      const p = await openDeflate(ctx);
      const messages: Buffer[] = [];
      for (let i = 0; i < 500; i++) messages.push(Buffer.from(`message ${i}: ${proseOf(80 + (i % 50)).toString()}`));
      await p.sendAll(messages.map((m) => ({ opcode: OP.TEXT, rsv: 4, payload: p.compress(m) })));
      for (const m of messages) await p.expectMessage(OP.TEXT, m);
      await p.closeNormally();
    }),
  );
  return out;
}

/** A negotiation case: the offer, what the server must do with it, then a compressed exchange when accepted. */
function negotiation(id: string, title: string, offer: string, expect: 'accept' | 'decline' | 'either', check?: (p: Probe) => void): ConformanceCase {
  return defineCase(id, G13, title, async (ctx) => {
    const probe = await ctx.connect();
    const answer = await probe.handshake({ extensions: offer });
    if (answer.status !== 101) {
      probe.destroy();
      // RFC 7692 §5: a server "MUST decline" an offer it cannot accept — declining means answering
      // without the extension, not refusing the connection.
      if (expect === 'decline' && answer.status === 400) {
        ctx.note(`refused the whole handshake (HTTP 400) instead of declining the offer (RFC 7692 §5)`);
        return;
      }
      throw new CaseFailure(`handshake answered with HTTP ${answer.status}`);
    }
    const p = probe;
    if (expect === 'accept' && !p.deflate) {
      ctx.note(`declined a valid offer "${offer}"`);
    }
    if (expect === 'decline' && p.deflate) throw new CaseFailure(`accepted an offer it must decline: "${offer}" → "${p.answer.headers.get('sec-websocket-extensions')}"`);
    check?.(p);
    const text = proseOf(600);
    await compressedEchoes(p, [
      [OP.TEXT, text],
      [OP.TEXT, text],
      [OP.BINARY, binaryOf(700)],
      [OP.TEXT, text],
    ]);
    await p.closeNormally();
  });
}

function negotiationCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [
    negotiation('13.1.1', 'plain offer', 'permessage-deflate', 'accept'),
    negotiation('13.1.2', 'browser offer (client_max_window_bits without value)', BROWSER_OFFER, 'accept'),
    negotiation('13.1.3', 'server_no_context_takeover (must be echoed)', 'permessage-deflate; server_no_context_takeover', 'accept'),
    negotiation('13.1.4', 'client_no_context_takeover', 'permessage-deflate; client_no_context_takeover', 'accept'),
    negotiation('13.1.5', 'both no_context_takeover parameters', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', 'accept'),
    negotiation(
      '13.1.6',
      'all four parameters',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10',
      'accept',
    ),
    negotiation('13.1.7', 'quoted parameter value client_max_window_bits="10"', 'permessage-deflate; client_max_window_bits="10"', 'accept'),
    negotiation('13.1.8', 'unknown extension before permessage-deflate', 'x-unknown-extension; foo=1, permessage-deflate', 'accept'),
  ];
  // RFC 7692 §7.1.2.1: server_max_window_bits=N limits the server's window; the response carries
  // the same or a smaller value. 8 may be declined (zlib has no 256-byte raw window).
  for (let bits = 8; bits <= 15; bits++) {
    out.push(negotiation(`13.2.${bits - 7}`, `server_max_window_bits=${bits}`, `permessage-deflate; server_max_window_bits=${bits}`, bits === 8 ? 'either' : 'accept'));
  }
  for (let bits = 8; bits <= 15; bits++) {
    out.push(
      negotiation(`13.3.${bits - 7}`, `client_max_window_bits=${bits}`, `permessage-deflate; client_max_window_bits=${bits}`, 'accept', (p) => {
        // §7.1.2.2: the client then compresses with at most `bits`; the probe uses what the response says.
        if (p.deflate && p.deflate.clientMaxWindowBits > bits) throw new CaseFailure(`client window ${p.deflate.clientMaxWindowBits} > offered ${bits}`);
      }),
    );
  }
  // RFC 7692 §7: "A server MUST decline an extension negotiation offer for this extension if any of the
  // following conditions are met: the negotiation offer contains an extension parameter not defined
  // for use in an offer; ... an extension parameter with an invalid value; ... multiple extension
  // parameters with the same name."
  const invalid: Array<[string, string]> = [
    ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7'],
    ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16'],
    ['server_max_window_bits=0', 'permessage-deflate; server_max_window_bits=0'],
    ['server_max_window_bits=08 (leading zero)', 'permessage-deflate; server_max_window_bits=08'],
    ['server_max_window_bits=abc', 'permessage-deflate; server_max_window_bits=abc'],
    ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
    ['client_max_window_bits=7', 'permessage-deflate; client_max_window_bits=7'],
    ['client_max_window_bits=16', 'permessage-deflate; client_max_window_bits=16'],
    ['server_no_context_takeover with a value', 'permessage-deflate; server_no_context_takeover=1'],
    ['client_no_context_takeover with a value', 'permessage-deflate; client_no_context_takeover=true'],
    ['server_no_context_takeover twice', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['server_max_window_bits twice', 'permessage-deflate; server_max_window_bits=10; server_max_window_bits=12'],
    ['unknown parameter', 'permessage-deflate; x-foo=bar'],
  ];
  invalid.forEach(([what, offer], i) => out.push(negotiation(`13.4.${i + 1}`, `invalid offer: ${what}`, offer, 'decline')));
  // §5.1/§9.1: several offers of the same extension in order of preference; the server may accept one.
  out.push(
    negotiation('13.5.1', 'invalid first offer, valid fallback offer', 'permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits', 'accept'),
    negotiation('13.5.2', 'two valid offers (window 10, then default)', 'permessage-deflate; server_max_window_bits=10; client_max_window_bits=10, permessage-deflate', 'accept'),
    negotiation('13.5.3', 'unknown parameter first offer, plain fallback', 'permessage-deflate; x-foo, permessage-deflate', 'accept'),
  );
  return out;
}

export function deflateCases(): ConformanceCase[] {
  return [...echoCases(), ...negotiationCases()];
}
