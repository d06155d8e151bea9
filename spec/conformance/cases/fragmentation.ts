/**
 * 5 Fragmentation (RFC 6455 §5.4): messages in several frames, control frames in between, and the
 * continuation rules a server must enforce.
 */
import { defineCase, type ConformanceCase } from '../case';
import { OP, encodeFrame, type FrameSpec } from '../wire';
import type { Chop, Probe } from '../probe';
import { binaryOf } from './payloads';

const G = 'Fragmentation';

/** How a list of frames is written: all in one write, one write per frame with a pause, or byte by byte. */
type Delivery = 'together' | 'framewise' | 'bytewise';

async function deliver(p: Probe, frames: FrameSpec[], how: Delivery): Promise<void> {
  if (how === 'together') return p.sendAll(frames);
  if (how === 'bytewise') return p.sendAll(frames, { size: 1 } satisfies Chop);
  for (const frame of frames) {
    await p.send(frame);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const DELIVERIES: Array<[Delivery, string]> = [
  ['together', 'one write'],
  ['framewise', 'frame by frame'],
  ['bytewise', 'byte by byte'],
];

export function fragmentationCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [
    // §5.5: "Control frames ... MUST NOT be fragmented."
    defineCase('5.1', G, 'ping fragmented into 2 frames', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.PING, fin: false, payload: 'fragment1' },
        { opcode: OP.CONT, payload: 'fragment2' },
      ]);
      await p.expectClose(1002);
    }),
    defineCase('5.2', G, 'pong fragmented into 2 frames', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.PONG, fin: false, payload: 'fragment1' },
        { opcode: OP.CONT, payload: 'fragment2' },
      ]);
      await p.expectClose(1002);
    }),
  ];

  // §5.4: "A fragmented message consists of a single frame with the FIN bit clear and an opcode other
  // than 0, followed by zero or more frames with the FIN bit clear and the opcode set to 0, and
  // terminated by a single frame with the FIN bit set and an opcode of 0."
  let n = 3;
  for (const [how, label] of DELIVERIES) {
    out.push(
      defineCase(`5.${n++}`, G, `text in 2 fragments (${label})`, async (ctx) => {
        const p = await ctx.open();
        await deliver(p, [{ opcode: OP.TEXT, fin: false, payload: 'fragment1' }, { opcode: OP.CONT, payload: 'fragment2' }], how);
        await p.expectMessage(OP.TEXT, 'fragment1fragment2');
        await p.closeNormally();
      }),
    );
  }
  // §5.4: "Control frames MAY be injected in the middle of a fragmented message."
  for (const [how, label] of DELIVERIES) {
    out.push(
      defineCase(`5.${n++}`, G, `text in 2 fragments with a ping between them (${label})`, async (ctx) => {
        const p = await ctx.open();
        await deliver(
          p,
          [
            { opcode: OP.TEXT, fin: false, payload: 'fragment1' },
            { opcode: OP.PING, payload: 'pongme!' },
            { opcode: OP.CONT, payload: 'fragment2' },
          ],
          how,
        );
        await p.expectPong('pongme!');
        await p.expectMessage(OP.TEXT, 'fragment1fragment2');
        await p.closeNormally();
      }),
    );
  }
  // A continuation frame with no message to continue is a protocol error (§5.4's grammar).
  for (const fin of [true, false]) {
    for (const [how, label] of DELIVERIES) {
      out.push(
        defineCase(`5.${n++}`, G, `continuation (FIN=${fin ? 1 : 0}) without a message to continue, then a text message (${label})`, async (ctx) => {
          const p = await ctx.open();
          await deliver(
            p,
            [
              { opcode: OP.CONT, fin, payload: 'fragment1' },
              { opcode: OP.TEXT, fin: false, payload: 'fragment2' },
              { opcode: OP.CONT, payload: 'fragment3' },
            ],
            how,
          );
          await p.expectClose(1002);
        }),
      );
    }
  }
  out.push(
    defineCase(`5.${n++}`, G, 'a whole fragmented message, then continuation frames after it', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, fin: false, payload: 'fragment1' },
        { opcode: OP.CONT, payload: 'fragment2' },
        { opcode: OP.CONT, fin: false, payload: 'fragment3' },
        { opcode: OP.TEXT, payload: 'fragment4' },
      ]);
      await p.expectMessage(OP.TEXT, 'fragment1fragment2');
      await p.expectClose(1002);
    }),
    defineCase(`5.${n++}`, G, 'continuation pairs with no start frame, repeated', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.CONT, fin: false, payload: 'fragment1' },
        { opcode: OP.CONT, payload: 'fragment2' },
        { opcode: OP.TEXT, payload: 'fragment3' },
        { opcode: OP.CONT, fin: false, payload: 'fragment4' },
        { opcode: OP.CONT, payload: 'fragment5' },
      ]);
      await p.expectClose(1002);
    }),
    // §5.4: frames of different messages MUST NOT be interleaved: a new text frame inside a message.
    defineCase(`5.${n++}`, G, 'text fragment followed by another text frame instead of a continuation', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, fin: false, payload: 'fragment1' },
        { opcode: OP.TEXT, payload: 'fragment2' },
      ]);
      await p.expectClose(1002);
    }),
    defineCase(`5.${n++}`, G, 'binary fragment followed by a text frame instead of a continuation', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.BINARY, fin: false, payload: binaryOf(10) },
        { opcode: OP.TEXT, payload: 'fragment2' },
      ]);
      await p.expectClose(1002);
    }),
  );
  for (const [how, label] of [DELIVERIES[1]!, DELIVERIES[2]!]) {
    out.push(
      defineCase(`5.${n++}`, G, `text in 5 fragments with pings between all of them (${label})`, async (ctx) => {
        const p = await ctx.open();
        await deliver(
          p,
          [
            { opcode: OP.TEXT, fin: false, payload: 'fragment1' },
            { opcode: OP.PING, payload: 'pongme 1!' },
            { opcode: OP.CONT, fin: false, payload: 'fragment2' },
            { opcode: OP.CONT, fin: false, payload: 'fragment3' },
            { opcode: OP.PING, payload: 'pongme 2!' },
            { opcode: OP.CONT, fin: false, payload: 'fragment4' },
            { opcode: OP.PONG, payload: 'unsolicited' },
            { opcode: OP.CONT, payload: 'fragment5' },
          ],
          how,
        );
        await p.expectPong('pongme 1!');
        await p.expectPong('pongme 2!');
        await p.expectMessage(OP.TEXT, 'fragment1fragment2fragment3fragment4fragment5');
        await p.closeNormally();
      }),
    );
  }
  out.push(
    defineCase(`5.${n++}`, G, 'binary in 3 fragments', async (ctx) => {
      const p = await ctx.open();
      const data = binaryOf(3000);
      await p.sendAll([
        { opcode: OP.BINARY, fin: false, payload: data.subarray(0, 1000) },
        { opcode: OP.CONT, fin: false, payload: data.subarray(1000, 2000) },
        { opcode: OP.CONT, payload: data.subarray(2000) },
      ]);
      await p.expectMessage(OP.BINARY, data);
      await p.closeNormally();
    }),
    defineCase(`5.${n++}`, G, 'fragmented message whose first and last fragments are empty', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, fin: false },
        { opcode: OP.CONT, fin: false, payload: 'middle' },
        { opcode: OP.CONT },
      ]);
      await p.expectMessage(OP.TEXT, 'middle');
      await p.closeNormally();
    }),
    defineCase(`5.${n++}`, G, 'binary message in 1000 one-byte fragments', async (ctx) => {
      const p = await ctx.open();
      const data = binaryOf(1000);
      const frames: FrameSpec[] = [];
      for (let i = 0; i < 1000; i++) frames.push({ opcode: i === 0 ? OP.BINARY : OP.CONT, fin: i === 999, payload: data.subarray(i, i + 1) });
      await p.write(Buffer.concat(frames.map(encodeFrame)));
      await p.expectMessage(OP.BINARY, data);
      await p.closeNormally();
    }),
    defineCase(`5.${n++}`, G, 'two fragmented messages back to back, each with a ping inside', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, fin: false, payload: 'one-a ' },
        { opcode: OP.PING, payload: 'p1' },
        { opcode: OP.CONT, payload: 'one-b' },
        { opcode: OP.BINARY, fin: false, payload: binaryOf(5) },
        { opcode: OP.PING, payload: 'p2' },
        { opcode: OP.CONT, payload: binaryOf(7) },
      ]);
      await p.expectPong('p1');
      await p.expectMessage(OP.TEXT, 'one-a one-b');
      await p.expectPong('p2');
      await p.expectMessage(OP.BINARY, Buffer.concat([binaryOf(5), binaryOf(7)]));
      await p.closeNormally();
    }),
  );
  return out;
}
