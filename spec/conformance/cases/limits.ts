/**
 * 9 Limits: large messages (64 KiB to 4 MiB), many frames per message, many messages in flight.
 * The echo must be exact and arrive within the case's bound.
 */
import { defineCase, type ConformanceCase } from '../case';
import { OP, encodeFrame, type FrameSpec } from '../wire';
import { CaseFailure, describe } from '../probe';
import { binaryOf, textOf } from './payloads';

const G = 'Limits';
const KiB = 1024;
const MiB = 1024 * 1024;
const SIZES = [64 * KiB, 256 * KiB, MiB, 4 * MiB];
const BIG_MS = 15000;

function label(n: number): string {
  return n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`;
}

function fragmentsOf(opcode: number, data: Buffer, size: number): Buffer {
  const frames: FrameSpec[] = [];
  for (let at = 0; at < data.length; at += size) {
    frames.push({ opcode: at === 0 ? opcode : OP.CONT, fin: at + size >= data.length, payload: data.subarray(at, at + size) });
  }
  return Buffer.concat(frames.map(encodeFrame));
}

export function limitCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const kinds: Array<[number, string, (n: number) => Buffer]> = [
    [OP.TEXT, 'text', textOf],
    [OP.BINARY, 'binary', binaryOf],
  ];
  kinds.forEach(([opcode, kind, make], k) => {
    SIZES.forEach((size, i) => {
      out.push(
        defineCase(
          `9.${k + 1}.${i + 1}`,
          G,
          `${kind} message of ${label(size)} in one frame`,
          async (ctx) => {
            const p = await ctx.open();
            const data = make(size);
            await p.send({ opcode, payload: data });
            await p.expectMessage(opcode, data, BIG_MS);
            await p.closeNormally();
          },
          BIG_MS + 5000,
        ),
      );
    });
  });
  const fragmentSizes: Array<[number, number]> = [
    [OP.TEXT, 1 * KiB],
    [OP.TEXT, 64 * KiB],
    [OP.TEXT, 1 * MiB],
    [OP.BINARY, 256],
    [OP.BINARY, 4 * KiB],
  ];
  fragmentSizes.forEach(([opcode, size], i) => {
    out.push(
      defineCase(
        `9.3.${i + 1}`,
        G,
        `${opcode === OP.TEXT ? 'text' : 'binary'} message of 4 MiB in ${(4 * MiB) / size} fragments of ${size >= KiB ? label(size) : `${size} bytes`}`,
        async (ctx) => {
          const p = await ctx.open();
          const data = opcode === OP.TEXT ? textOf(4 * MiB) : binaryOf(4 * MiB);
          await p.write(fragmentsOf(opcode, data, size));
          await p.expectMessage(opcode, data, BIG_MS);
          await p.closeNormally();
        },
        BIG_MS + 5000,
      ),
    );
  });
  out.push(
    defineCase(
      '9.4.1',
      G,
      'binary message of 4 MiB written in 4 KiB pieces',
      async (ctx) => {
        const p = await ctx.open();
        const data = binaryOf(4 * MiB);
        await p.send({ opcode: OP.BINARY, payload: data }, { size: 4 * KiB });
        await p.expectMessage(OP.BINARY, data, BIG_MS);
        await p.closeNormally();
      },
      BIG_MS + 5000,
    ),
    defineCase(
      '9.5.1',
      G,
      '1000 pipelined text messages of 64 bytes in one write',
      async (ctx) => {
        const p = await ctx.open();
        const frames: FrameSpec[] = [];
        for (let i = 0; i < 1000; i++) frames.push({ opcode: OP.TEXT, payload: `${String(i).padStart(4, '0')}:${textOf(59).toString()}` });
        await p.sendAll(frames);
        for (let i = 0; i < 1000; i++) await p.expectMessage(OP.TEXT, `${String(i).padStart(4, '0')}:${textOf(59).toString()}`, BIG_MS);
        await p.closeNormally();
      },
      BIG_MS + 5000,
    ),
    defineCase(
      '9.5.2',
      G,
      '1000 pipelined binary messages of 1 KiB, one write each',
      async (ctx) => {
        const p = await ctx.open();
        const payload = (i: number) => {
          const data = binaryOf(KiB);
          data.writeUInt32BE(i, 0);
          return data;
        };
        for (let i = 0; i < 1000; i++) await p.send({ opcode: OP.BINARY, payload: payload(i) });
        for (let i = 0; i < 1000; i++) await p.expectMessage(OP.BINARY, payload(i), BIG_MS);
        await p.closeNormally();
      },
      BIG_MS + 5000,
    ),
    defineCase(
      '9.6.1',
      G,
      '4 MiB binary message and a ping right behind it: the echo and the pong both arrive',
      async (ctx) => {
        const p = await ctx.open();
        const data = binaryOf(4 * MiB);
        await p.sendAll([
          { opcode: OP.BINARY, payload: data },
          { opcode: OP.PING, payload: 'behind a big message' },
        ]);
        // §5.4 lets the pong go out between the fragments of the echo, or after it: either order is fine.
        const seen: string[] = [];
        for (let i = 0; i < 2; i++) {
          const event = await p.next(BIG_MS);
          if (event?.kind === 'pong' && event.payload.toString() === 'behind a big message') seen.push('pong');
          else if (event?.kind === 'message' && event.opcode === OP.BINARY && event.data.equals(data)) seen.push('echo');
          else throw new CaseFailure(`expected the echo and the pong, got ${describe(event)}`);
        }
        if (!seen.includes('pong') || !seen.includes('echo')) throw new CaseFailure(`got ${seen.join(' and ')}`);
        await p.closeNormally();
      },
      BIG_MS + 5000,
    ),
  );
  return out;
}
