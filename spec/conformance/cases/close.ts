/**
 * 7 Close handling (RFC 6455 §5.5.1, §7): the closing handshake, what may follow a close frame,
 * close payloads, and which status codes a peer may send.
 */
import { defineCase, type ConformanceCase } from '../case';
import { OP, closePayload } from '../wire';
import { CaseFailure, describe } from '../probe';
import { textOf } from './payloads';
import { hexBytes } from './util';

const G = 'Close';

/** Codes a peer may send (§7.4.1, §7.4.2 and the IANA registry's 1012–1014). */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
/** Codes no peer may send: unused (0–999), reserved (1004), local-only (1005, 1006, 1015), unassigned or out of range. */
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

export function closeCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [
    defineCase('7.1.1', G, 'echo, then a normal close', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.TEXT, payload: 'Hello World!' });
      await p.expectMessage(OP.TEXT, 'Hello World!');
      await p.closeNormally();
    }),
    // §5.5.1: "After sending a Close frame, the application MUST NOT send any more data frames";
    // "If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint
    // MUST send a Close frame in response" — once; what follows the peer's close is not read.
    defineCase('7.1.2', G, 'two close frames: exactly one close reply', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.CLOSE, payload: closePayload(1000) },
        { opcode: OP.CLOSE, payload: closePayload(1000) },
      ]);
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.1.3', G, 'ping after the close frame is not answered', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.CLOSE, payload: closePayload(1000) },
        { opcode: OP.PING, payload: 'after close' },
      ]);
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.1.4', G, 'text message after the close frame is not echoed', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.CLOSE, payload: closePayload(1000) },
        { opcode: OP.TEXT, payload: 'after close' },
      ]);
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.1.5', G, 'close in the middle of a fragmented message: no echo, close reply', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, fin: false, payload: 'fragment1' },
        { opcode: OP.CLOSE, payload: closePayload(1000) },
        { opcode: OP.CONT, payload: 'fragment2' },
      ]);
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.1.6', G, '256 KiB message, close and ping in one write: echo, then close reply, no pong', async (ctx) => {
      const p = await ctx.open();
      await p.sendAll([
        { opcode: OP.TEXT, payload: textOf(256 * 1024) },
        { opcode: OP.CLOSE, payload: closePayload(1000) },
        { opcode: OP.PING, payload: 'after close' },
      ]);
      await p.expectMessage(OP.TEXT, textOf(256 * 1024));
      await p.expectClose(1000, 3000, 'close reply');
    }),
    // §5.5.1: "The Close frame MAY contain a body"; a reply to a close without code is empty or 1000.
    defineCase('7.2.1', G, 'close without payload', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE });
      const event = await p.next(3000);
      if (event?.kind !== 'close') throw new CaseFailure(`expected a close reply, got ${describe(event)}`);
      if (event.code !== null && event.code !== 1000) throw new CaseFailure(`close reply ${event.code} to a close without code`);
      if (!(await p.waitForEnd(2000))) p.note('the server kept TCP open for 2 s after the closing handshake');
    }),
    // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer".
    defineCase('7.2.2', G, 'close with a 1-byte payload', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: Buffer.from([0x03]) });
      await p.expectClose(1002);
    }),
    defineCase('7.2.3', G, 'close 1000 without reason', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000) });
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.2.4', G, 'close 1000 with a short reason', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'Hello World!') });
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.2.5', G, 'close 1000 with a 123-byte reason (the largest)', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000, textOf(123)) });
      await p.expectClose(1000, 3000, 'close reply');
    }),
    // §5.5: control payloads are at most 125 bytes: 2 + 124 = 126.
    defineCase('7.2.6', G, 'close 1000 with a 124-byte reason (control frame too long)', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000, textOf(124)) });
      await p.expectClose(1002);
    }),
    // §5.5.1: the reason's "interpretation ... is not defined", but it is UTF-8 (§8.1 applies).
    defineCase('7.2.7', G, 'close 1000 with a reason that is not UTF-8', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000, Buffer.concat([Buffer.from('κόσμε'), hexBytes('ed a0 80'), Buffer.from('edited')])) });
      await p.expectClose(1007);
    }),
    defineCase('7.2.8', G, 'close 1000 with a non-ASCII reason', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'αντίο, 再见, 👋') });
      await p.expectClose(1000, 3000, 'close reply');
    }),
  ];
  // §5.5.1: "When sending a Close frame in response, the endpoint typically echos the status code it received."
  VALID_CODES.forEach((code, i) =>
    out.push(
      defineCase(`7.3.${i + 1}`, G, `close with valid code ${code}: echoed`, async (ctx) => {
        const p = await ctx.open();
        await p.send({ opcode: OP.CLOSE, payload: closePayload(code, 'reason') });
        const event = await p.next(3000);
        if (event?.kind !== 'close') throw new CaseFailure(`expected a close reply, got ${describe(event)}`);
        if (event.code === 1002 && code !== 1002) throw new CaseFailure(`valid code ${code} answered with 1002 (protocol error)`);
        if (event.code !== code) p.note(`close reply ${event.code === null ? 'without code' : event.code} instead of echoing ${code}`);
        if (!(await p.waitForEnd(2000))) p.note('the server kept TCP open for 2 s after the closing handshake');
      }),
    ),
  );
  // §7.4.1/§7.4.2: such codes are a protocol error from a peer.
  INVALID_CODES.forEach((code, i) =>
    out.push(
      defineCase(`7.4.${i + 1}`, G, `close with invalid code ${code}`, async (ctx) => {
        const p = await ctx.open();
        await p.send({ opcode: OP.CLOSE, payload: closePayload(code, 'reason') });
        await p.expectClose(1002);
      }),
    ),
  );
  out.push(
    defineCase('7.5.1', G, 'close frame written byte by byte', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'slowly') }, { size: 1 });
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.5.2', G, 'client closes, then half-closes TCP: the server still replies and ends', async (ctx) => {
      const p = await ctx.open();
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000) });
      p.endWrites();
      await p.expectClose(1000, 3000, 'close reply');
    }),
    defineCase('7.5.3', G, 'TCP closed by the client without a close frame: the server copes (new connection echoes)', async (ctx) => {
      const first = await ctx.open();
      await first.send({ opcode: OP.TEXT, fin: false, payload: 'half a message' });
      first.destroy();
      const p = await ctx.open();
      await p.send({ opcode: OP.TEXT, payload: 'still here' });
      await p.expectMessage(OP.TEXT, 'still here');
      await p.closeNormally();
    }),
  );
  return out;
}
