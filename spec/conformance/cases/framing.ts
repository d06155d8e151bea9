/**
 * 1 Framing, 2 Pings and pongs, 3 Reserved bits, 4 Reserved opcodes (RFC 6455 §5.2, §5.5, §5.8).
 */
import { defineCase, type ConformanceCase } from '../case';
import { OP, encodeFrame } from '../wire';
import { CaseFailure } from '../probe';
import { binaryOf, textOf } from './payloads';

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

function framing(): ConformanceCase[] {
  const G = 'Framing';
  const out: ConformanceCase[] = [];
  const kinds: Array<[number, string, (n: number) => Buffer]> = [
    [OP.TEXT, 'text', textOf],
    [OP.BINARY, 'binary', binaryOf],
  ];
  kinds.forEach(([opcode, kind, make], k) => {
    SIZES.forEach((size, i) => {
      out.push(
        defineCase(`1.${k + 1}.${i + 1}`, G, `${kind} message, payload ${size} bytes (length-field boundary)`, async (ctx) => {
          const p = await ctx.open();
          await p.send({ opcode, payload: make(size) });
          await p.expectMessage(opcode, make(size));
          await p.closeNormally();
        }),
      );
    });
    out.push(
      defineCase(`1.${k + 1}.${SIZES.length + 1}`, G, `${kind} message of 65536 bytes written in 997-byte pieces`, async (ctx) => {
        const p = await ctx.open();
        await p.send({ opcode, payload: make(65536) }, { size: 997 });
        await p.expectMessage(opcode, make(65536));
        await p.closeNormally();
      }),
    );
  });

  out.push(
    defineCase('1.3.1', G, 'text frame of 125 bytes written byte by byte', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.TEXT, payload: textOf(125) }, { size: 1 });
      await p.expectMessage(OP.TEXT, textOf(125));
      await p.closeNormally();
    }),
    defineCase('1.3.2', G, '16-bit length header arriving one byte at a time (1 ms apart)', async (ctx) => {
      const p = await ctx.open();
      const frame = encodeFrame({ opcode: OP.BINARY, payload: binaryOf(300) });
      await p.write(frame.subarray(0, 8), { size: 1, pauseMs: 1 });
      await p.write(frame.subarray(8));
      await p.expectMessage(OP.BINARY, binaryOf(300));
      await p.closeNormally();
    }),
    defineCase('1.3.3', G, '64-bit length header arriving one byte at a time (1 ms apart)', async (ctx) => {
      const p = await ctx.open();
      const frame = encodeFrame({ opcode: OP.BINARY, payload: binaryOf(70000) });
      await p.write(frame.subarray(0, 14), { size: 1, pauseMs: 1 });
      await p.write(frame.subarray(14));
      await p.expectMessage(OP.BINARY, binaryOf(70000));
      await p.closeNormally();
    }),
    defineCase('1.3.4', G, 'a text and a binary frame in one TCP write', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, payload: 'first' },
        { opcode: OP.BINARY, payload: binaryOf(200) },
      ]);
      await p.expectMessage(OP.TEXT, 'first');
      await p.expectMessage(OP.BINARY, binaryOf(200));
      await p.closeNormally();
    }),
    defineCase('1.3.5', G, '100 small messages and the close frame in one TCP write', async (ctx) => {
      const p = await ctx.open();
      const frames = [];
      for (let i = 0; i < 100; i++) frames.push({ opcode: OP.TEXT, payload: `message ${i}` });
      await p.sendAll(frames);
      for (let i = 0; i < 100; i++) await p.expectMessage(OP.TEXT, `message ${i}`);
      await p.closeNormally();
    }),
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked ...
    // a server MAY send a Close frame with a status code of 1002 (protocol error)".
    defineCase('1.4.1', G, 'unmasked client frame', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.TEXT, payload: 'not masked', mask: false });
      await p.expectClose(1002);
    }),
    // §5.2: "the most significant bit MUST be 0" in the 64-bit length.
    defineCase('1.4.2', G, '64-bit length with the most significant bit set', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.BINARY, payload: binaryOf(16), declaredLength: 0x8000000000000010n });
      // The frame is malformed (1002) and, read as a number, also too big (1009): the latter is tolerated.
      await p.expectClose(1002, 3000, 'close', [1009]);
    }),
    // §7.4.1: 1009 "a message that is too big for it to process" (both servers cap messages at 100 MiB).
    defineCase('1.4.3', G, 'frame announcing 2^53 - 1 bytes (beyond any message limit)', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.BINARY, payload: binaryOf(16), declaredLength: 0x1fffffffffffffn });
      await p.expectClose(1009);
    }),
  );
  return out;
}

function pings(): ConformanceCase[] {
  const G = 'Ping/pong';
  const binaryPayload = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
  const pingCase = (id: string, title: string, payload: Buffer | string, chop?: { size: number; pauseMs?: number }) =>
    defineCase(id, G, title, async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.PING, payload }, chop);
      await p.expectPong(payload);
      await p.closeNormally();
    });
  const out: ConformanceCase[] = [
    // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response";
    // §5.5.3: "A Pong frame sent in response to a Ping frame must have identical Application data".
    pingCase('2.1', 'ping without payload', Buffer.alloc(0)),
    pingCase('2.2', 'ping with a short text payload', 'Hello, world!'),
    pingCase('2.3', 'ping with a short binary payload', binaryPayload),
    pingCase('2.4', 'ping with 125 bytes (the largest control payload)', binaryOf(125)),
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    defineCase('2.5', G, 'ping with 126 bytes', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.PING, payload: binaryOf(126) });
      await p.expectClose(1002);
    }),
    pingCase('2.6', 'ping with 125 bytes written byte by byte', binaryOf(125), { size: 1 }),
    // §5.5.3: "A Pong frame MAY be sent unsolicited ... A response to an unsolicited Pong frame is not expected."
    defineCase('2.7', G, 'unsolicited pong without payload is ignored', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.PONG });
      await p.send({ opcode: OP.TEXT, payload: 'after the pong' });
      await p.expectMessage(OP.TEXT, 'after the pong');
      await p.closeNormally();
    }),
    defineCase('2.8', G, 'unsolicited pong with payload is ignored', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.PONG, payload: 'unsolicited pong payload' });
      await p.send({ opcode: OP.TEXT, payload: 'after the pong' });
      await p.expectMessage(OP.TEXT, 'after the pong');
      await p.closeNormally();
    }),
    defineCase('2.9', G, 'unsolicited pong, then a ping: only the ping is answered', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.PONG, payload: 'unsolicited pong payload' },
        { opcode: OP.PING, payload: 'ping payload' },
      ]);
      await p.expectPong('ping payload');
      await p.closeNormally();
    }),
  ];
  const tenPings = (id: string, title: string, chop?: { size: number }) =>
    defineCase(id, G, title, async (ctx) => {
      const p = await ctx.open();
      const frames = [];
      for (let i = 0; i < 10; i++) frames.push({ opcode: OP.PING, payload: `payload-${i}` });
      await p.sendAll(frames, chop);
      // §5.5.3 lets an endpoint answer only the most recent of several pending pings: a skipped pong is
      // NON-STRICT, a pong out of order or with a foreign payload is FAILED.
      let expected = 0;
      while (expected < 10) {
        const event = await p.next(3000);
        if (event?.kind !== 'pong') throw new CaseFailure(`expected pongs, got ${event ? event.kind : 'nothing'}`);
        const got = /^payload-(\d)$/.exec(event.payload.toString())?.[1];
        if (got === undefined || Number(got) < expected) throw new CaseFailure(`unexpected pong payload ${event.payload.toString()}`);
        if (Number(got) > expected) p.note(`pongs for pings ${expected}..${Number(got) - 1} were skipped`);
        expected = Number(got) + 1;
      }
      await p.closeNormally();
    });
  out.push(tenPings('2.10', '10 pings in one write: 10 pongs in order'), tenPings('2.11', '10 pings written byte by byte', { size: 1 }));
  return out;
}

function reservedBits(): ConformanceCase[] {
  const G = 'Reserved bits';
  // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values.
  // If a nonzero value is received and none of the negotiated extensions defines the meaning of such a
  // nonzero value, the receiving endpoint MUST _Fail the WebSocket Connection_."
  const afterEcho = (id: string, title: string, rsv: number, opcode: number, chop?: { size: number }) =>
    defineCase(id, G, title, async (ctx) => {
      const p = await ctx.open();
      await p.sendAll(
        [
          { opcode: OP.TEXT, payload: 'Hello, world!' },
          { opcode, rsv, payload: opcode === OP.CLOSE ? Buffer.from([0x03, 0xe8]) : 'Hello, world!' },
          { opcode: OP.PING, payload: 'no pong expected' },
        ],
        chop,
      );
      await p.expectMessage(OP.TEXT, 'Hello, world!');
      await p.expectClose(1002);
    });
  return [
    defineCase('3.1', G, 'text frame with RSV1 and no extension', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.TEXT, rsv: 4, payload: 'Hello, world!' });
      await p.expectClose(1002);
    }),
    afterEcho('3.2', 'echo, then a text frame with RSV2, then a ping', 2, OP.TEXT),
    afterEcho('3.3', 'echo, then a text frame with RSV1+RSV2, then a ping (one write)', 6, OP.TEXT),
    afterEcho('3.4', 'echo, then a text frame with RSV3, then a ping (byte by byte)', 1, OP.TEXT, { size: 1 }),
    afterEcho('3.5', 'echo, then a binary frame with RSV1+RSV3', 5, OP.BINARY),
    afterEcho('3.6', 'echo, then a ping with RSV2+RSV3', 3, OP.PING),
    afterEcho('3.7', 'echo, then a close with all RSV bits', 7, OP.CLOSE),
  ];
}

function opcodes(): ConformanceCase[] {
  const G = 'Opcodes';
  // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
  const out: ConformanceCase[] = [];
  const reserved: Array<[string, number[]]> = [
    ['4.1', [3, 4, 5, 6, 7]],
    ['4.2', [11, 12, 13, 14, 15]],
  ];
  for (const [prefix, list] of reserved) {
    list.forEach((opcode, i) => {
      const kind = opcode < 8 ? 'data' : 'control';
      if (i % 2 === 0) {
        out.push(
          defineCase(`${prefix}.${i + 1}`, G, `reserved ${kind} opcode ${opcode}${i === 0 ? ' (empty)' : ' with payload'}`, async (ctx) => {
            const p = await ctx.open();
            await p.send({ opcode, payload: i === 0 ? undefined : 'reserved opcode payload' });
            await p.expectClose(1002);
          }),
        );
      } else {
        out.push(
          defineCase(`${prefix}.${i + 1}`, G, `echo, then reserved ${kind} opcode ${opcode}, then a ping${i === 3 ? ' (byte by byte)' : ''}`, async (ctx) => {
            const p = await ctx.open();
            await p.sendAll(
              [
                { opcode: OP.TEXT, payload: 'Hello, world!' },
                { opcode, payload: 'reserved opcode payload' },
                { opcode: OP.PING, payload: 'no pong expected' },
              ],
              i === 3 ? { size: 1 } : undefined,
            );
            await p.expectMessage(OP.TEXT, 'Hello, world!');
            await p.expectClose(1002);
          }),
        );
      }
    });
  }
  return out;
}

/** Cases of groups 1–4. */
export function framingCases(): ConformanceCase[] {
  return [...framing(), ...pings(), ...reservedBits(), ...opcodes()];
}
