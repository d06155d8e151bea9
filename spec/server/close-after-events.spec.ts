/**
 * A connection's end is sequenced after the events already queued for it (issue 11): in DoEvents mode
 * the component reads inside DoEvents, so the application answers what came before a bad frame or the
 * peer's close, and what it sends goes out before the close frame. Both dispatch modes, real sockets.
 */
import { expect } from 'chai';
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { formatFrame } from '../../lib/protocol/frame';
import { cleanup, doEventsLoop, rawConnection } from '../helpers/engine';
import { startServer } from '../helpers/server';

const MASK = Buffer.from([1, 2, 3, 4]);

function frame(opcode: number, payload: Buffer | string, options: { fin?: boolean; rsv1?: boolean; rsv2?: boolean; mask?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const bytes = formatFrame(opcode, data, { fin: options.fin, rsv1: options.rsv1, mask: options.mask === false ? undefined : MASK });
  if (options.rsv2) bytes[0]! |= 0x20;
  return bytes;
}

function compressed(text: string): Buffer {
  const out = deflateRawSync(Buffer.from(text), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

interface Case {
  name: string;
  deflate?: boolean;
  /** What follows the valid text message "hello" in the same write. */
  after: () => Buffer;
  /** The close code the server must send after the echo. */
  code: number;
}

const CASES: Case[] = [
  { name: 'an RSV2 frame', after: () => frame(1, 'x', { rsv2: true }), code: 1002 },
  { name: 'a reserved opcode', after: () => frame(3, 'x'), code: 1002 },
  { name: 'an unmasked frame', after: () => frame(1, 'x', { mask: false }), code: 1002 },
  { name: 'a compressed ping', deflate: true, after: () => frame(9, compressed('p'), { rsv1: true }), code: 1002 },
  { name: 'the peer\'s close', after: () => frame(8, Buffer.from([0x03, 0xe8])), code: 1000 },
];

for (const immediate of [false, true]) {
  describe(`closing after the queued events (${immediate ? 'ProcessIdleEvents' : 'DoEvents'} mode)`, () => {
    afterEach(cleanup);

    for (const c of CASES) {
      it(`answers a message that came before ${c.name}, then closes with ${c.code}`, async () => {
        const { server, port } = await startServer({ config: { ProcessIdleEvents: immediate } });
        server.on('DataIn', (e) => {
          void server.sendText(e.connectionId, `echo:${e.text}`).catch(() => undefined);
        });
        const pumping = immediate ? null : doEventsLoop(server);
        const { client } = await rawConnection(server, port, c.deflate ? { extensions: 'permessage-deflate' } : {});
        const hello = c.deflate ? frame(1, compressed('hello'), { rsv1: true }) : frame(1, 'hello');
        client.write(Buffer.concat([hello, c.after()]));
        const reply = await client.readFrame(3000);
        const text = reply.rsv1 ? inflateRawSync(Buffer.concat([reply.payload, Buffer.from([0, 0, 0xff, 0xff])])) : reply.payload;
        expect([reply.opcode, text.toString()]).to.deep.equal([1, 'echo:hello']);
        const closed = await client.readClose(3000);
        expect(closed.code).to.equal(c.code);
        await pumping?.();
      });
    }

    it('answers a message that came just before the peer\'s FIN, then ends the TCP connection', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: immediate } });
      server.on('DataIn', (e) => {
        void server.sendText(e.connectionId, `echo:${e.text}`).catch(() => undefined);
      });
      const pumping = immediate ? null : doEventsLoop(server);
      const { client } = await rawConnection(server, port);
      client.socket.end(frame(1, 'hello'));
      const reply = await client.readFrame(3000);
      expect(reply.payload.toString()).to.equal('echo:hello');
      await client.waitForEnd(3000);
      await pumping?.();
    });
  });
}
