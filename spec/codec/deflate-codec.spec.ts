// The real permessage-deflate codec (lib/codec/deflate-codec.ts, RFC 7692 §7.2) against node:zlib
// peers: the §7.2.3 examples, round trips, the inflate cap, call order, the thread-pool limit, and
// the same guarantees with the synchronous fast path off (the public-API fallback).
import { expect } from 'chai';
import * as sinon from 'sinon';
import zlib = require('node:zlib');
import { PerMessageDeflate, type PerMessageDeflateOptions } from '../../lib/codec/deflate-codec';
import { zlibJobsInFlight } from '../../lib/codec/zlib-limiter';
import { ProtocolError } from '../../lib/protocol/errors';
import type { DeflateParams } from '../../lib/protocol/permessage-deflate';

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const DEFAULT_PARAMS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function codec(params: Partial<DeflateParams> = {}, options?: PerMessageDeflateOptions): PerMessageDeflate {
  return new PerMessageDeflate({ ...DEFAULT_PARAMS, ...params }, options);
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const TAIL = hex('0000ffff');

type Outcome = { error: Error | null; result?: Buffer };

function compress(pmd: PerMessageDeflate, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pmd.compress(data, (error, result) => (error ? reject(error) : resolve(result!)));
  });
}

function decompress(pmd: PerMessageDeflate, data: Buffer, fin = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pmd.decompress(data, fin, (error, result) => (error ? reject(error) : resolve(result!)));
  });
}

function decompressOutcome(pmd: PerMessageDeflate, data: Buffer, fin = true): Promise<Outcome> {
  return new Promise((resolve) => pmd.decompress(data, fin, (error, result) => resolve({ error, result })));
}

/** An independent peer: a plain node:zlib stream that keeps its window across messages. */
function referencePeer(kind: 'inflate' | 'deflate', windowBits = 15, chunkSize?: number) {
  const stream =
    kind === 'inflate' ? zlib.createInflateRaw({ windowBits, chunkSize }) : zlib.createDeflateRaw({ windowBits, chunkSize });
  const chunks: Buffer[] = [];
  let failed: ((error: Error) => void) | null = null;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', (error: Error) => failed?.(error));
  return {
    /** inflate: one compressed message (the tail is appended); deflate: one message (tail removed). */
    message(data: Buffer): Promise<Buffer> {
      return new Promise((resolve, reject) => {
        failed = reject;
        stream.write(data);
        if (kind === 'inflate') stream.write(TAIL);
        stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          const out = Buffer.concat(chunks);
          chunks.length = 0;
          if (kind === 'inflate') return resolve(out);
          expect(out.subarray(-4)).to.deep.equal(TAIL);
          resolve(out.subarray(0, -4));
        });
      });
    },
    close: () => stream.close(),
  };
}

/** Inflates one message on its own (no window from earlier messages). */
function inflateAlone(data: Buffer): Buffer {
  return zlib.inflateRawSync(Buffer.concat([data, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/** Deterministic JSON-like text: compressible, but not trivially so. */
function jsonText(size: number, seed = 1): Buffer {
  let state = seed;
  let text = '';
  while (text.length < size) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    text += JSON.stringify({ id: state, user: `user${state % 9973}`, active: (state & 4) !== 0, score: state % 10007 });
  }
  return Buffer.from(text.slice(0, size));
}

/** Pseudo-random bytes repeating with the given period. */
function periodic(period: number, size: number, seed = 7): Buffer {
  let state = seed;
  const base = Buffer.alloc(period);
  for (let i = 0; i < period; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    base[i] = state >> 16;
  }
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = base[i % period]!;
  return out;
}

function expectProtocolError(error: Error | null, closeCode: number, code: string): void {
  expect(error).to.be.instanceOf(ProtocolError);
  expect((error as ProtocolError).closeCode).to.equal(closeCode);
  expect((error as ProtocolError).code).to.equal(code);
}

// ---------------------------------------------------------------------------------------------
// compression and decompression
// ---------------------------------------------------------------------------------------------

describe('PerMessageDeflate (RFC 7692 §7.2)', () => {
  const open: PerMessageDeflate[] = [];
  function make(params: Partial<DeflateParams> = {}, options?: PerMessageDeflateOptions): PerMessageDeflate {
    const pmd = codec(params, options);
    open.push(pmd);
    return pmd;
  }
  afterEach(() => {
    for (const pmd of open) pmd.close();
    open.length = 0;
    sinon.restore();
  });

  it('validates its params and options', () => {
    expect(() => codec({ serverMaxWindowBits: 16 })).to.throw(RangeError);
    expect(() => codec({ clientMaxWindowBits: 7 })).to.throw(RangeError);
    expect(() => codec({}, { level: 10 })).to.throw(RangeError);
    expect(() => codec({}, { memLevel: 0 })).to.throw(RangeError);
    expect(codec().threshold).to.equal(64);
    expect(codec({}, { threshold: 10 }).threshold).to.equal(10);
  });

  it('creates each zlib stream only when it is first needed', async () => {
    const deflate = sinon.spy(zlib, 'createDeflateRaw');
    const inflate = sinon.spy(zlib, 'createInflateRaw');
    const pmd = make();
    expect(deflate.callCount + inflate.callCount).to.equal(0);
    await compress(pmd, Buffer.from('Hello'));
    await compress(pmd, Buffer.from('Hello'));
    expect([deflate.callCount, inflate.callCount]).to.deep.equal([1, 0]);
    await decompress(pmd, hex('f248cdc9c90700'));
    expect([deflate.callCount, inflate.callCount]).to.deep.equal([1, 1]);
  });

  it('an idle codec holds no lanes: each direction is made on its first message, none after close()', async () => {
    const pmd = make();
    const lanes = () => [(pmd as unknown as { compressor: unknown }).compressor !== null, (pmd as unknown as { decompressor: unknown }).decompressor !== null];
    expect(lanes()).to.deep.equal([false, false]);
    await decompress(pmd, hex('f248cdc9c90700'));
    expect(lanes()).to.deep.equal([false, true]);
    pmd.close();
    let called = false;
    pmd.compress(Buffer.from('late'), () => (called = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect([lanes(), called]).to.deep.equal([[false, true], false]);
  });

  describe('the §7.2.3 examples', () => {
    it('§7.2.3.1: compresses "Hello" to f2 48 cd c9 c9 07 00, synchronously', () => {
      const pmd = make();
      let result: Buffer | undefined;
      pmd.compress(Buffer.from('Hello'), (error, out) => {
        expect(error).to.equal(null);
        result = out;
      });
      expect(result).to.deep.equal(hex('f2 48 cd c9 c9 07 00'));
    });

    it('§7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', async () => {
      const pmd = make();
      expect(await compress(pmd, Buffer.from('Hello'))).to.deep.equal(hex('f2 48 cd c9 c9 07 00'));
      expect(await compress(pmd, Buffer.from('Hello'))).to.deep.equal(hex('f2 00 11 00 00'));
    });

    it('without context takeover every "Hello" compresses alike', async () => {
      const pmd = make({ serverNoContextTakeover: true });
      expect(await compress(pmd, Buffer.from('Hello'))).to.deep.equal(hex('f2 48 cd c9 c9 07 00'));
      expect(await compress(pmd, Buffer.from('Hello'))).to.deep.equal(hex('f2 48 cd c9 c9 07 00'));
    });

    it('§7.2.3.1/§7.2.3.2: decompresses both messages sharing one window', async () => {
      const pmd = make();
      expect((await decompress(pmd, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
      expect((await decompress(pmd, hex('f2 00 11 00 00'))).toString()).to.equal('Hello');
    });

    it('§7.2.3.1: decompresses "Hello" sent in two fragments', async () => {
      const pmd = make();
      const first = await decompress(pmd, hex('f2 48 cd'), false);
      const last = await decompress(pmd, hex('c9 c9 07 00'), true);
      expect(Buffer.concat([first, last]).toString()).to.equal('Hello');
    });

    it('§7.2.3.3: decompresses a stored (uncompressed) DEFLATE block', async () => {
      const pmd = make();
      expect((await decompress(pmd, hex('00 05 00 fa ff 48 65 6c 6c 6f 00'))).toString()).to.equal('Hello');
    });

    it('§7.2.3.4: decompresses a block with BFINAL set and then a new message', async () => {
      const pmd = make();
      expect((await decompress(pmd, hex('f3 48 cd c9 c9 07 00 00'))).toString()).to.equal('Hello');
      // The client's DEFLATE stream ended; its next message starts a new one.
      expect((await decompress(pmd, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
    });

    it('§7.2.3.5: decompresses a message made of two DEFLATE blocks', async () => {
      const pmd = make();
      expect((await decompress(pmd, hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'))).toString()).to.equal('Hello');
    });

    it('§7.2.3.6: an empty message compresses to 00 and back', async () => {
      const pmd = make();
      expect(await compress(pmd, Buffer.alloc(0))).to.deep.equal(hex('00'));
      expect(await decompress(pmd, hex('00'))).to.deep.equal(Buffer.alloc(0));
    });
  });

  describe('round trips', () => {
    it('with context takeover: a repeated message compresses smaller and inflates at the peer', async () => {
      const pmd = make();
      const peer = referencePeer('inflate');
      const message = jsonText(2000);
      const first = await compress(pmd, message);
      const second = await compress(pmd, message);
      expect(second.length).to.be.lessThan(first.length / 4);
      expect(await peer.message(first)).to.deep.equal(message);
      expect(await peer.message(second)).to.deep.equal(message);
      peer.close();
    });

    it('without context takeover: each message inflates on its own', async () => {
      const pmd = make({ serverNoContextTakeover: true });
      const message = jsonText(2000);
      const first = await compress(pmd, message);
      const second = await compress(pmd, message);
      expect(second).to.deep.equal(first);
      expect(inflateAlone(second)).to.deep.equal(message);
    });

    it('decompresses what a context-keeping peer compressed, small and large', async () => {
      const pmd = make();
      const peer = referencePeer('deflate');
      const messages = [jsonText(100, 1), jsonText(300000, 2), jsonText(100, 1), jsonText(5000, 3), jsonText(5000, 3)];
      for (const message of messages) expect(await decompress(pmd, await peer.message(message))).to.deep.equal(message);
      peer.close();
    });

    it('with client_no_context_takeover the inflater forgets the previous message', async () => {
      const keeping = make();
      expect((await decompress(keeping, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
      expect((await decompress(keeping, hex('f2 00 11 00 00'))).toString()).to.equal('Hello');
      const resetting = make({ clientNoContextTakeover: true });
      expect((await decompress(resetting, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
      // f2 00 11 00 00 refers 5 bytes back, into the previous message.
      const outcome = await decompressOutcome(resetting, hex('f2 00 11 00 00'));
      expectProtocolError(outcome.error, 1007, 'WSS_ERR_INFLATE');
    });

    it('decompresses a message split into several fragments, empty ones included', async () => {
      const pmd = make();
      const message = jsonText(50000, 4);
      const compressed = await referencePeer('deflate').message(message);
      const cuts = [0, 1, 1, 700, 9000, compressed.length - 3, compressed.length];
      const parts: Buffer[] = [];
      for (let i = 1; i < cuts.length; i++) {
        parts.push(await decompress(pmd, compressed.subarray(cuts[i - 1], cuts[i]), i === cuts.length - 1));
      }
      expect(Buffer.concat(parts)).to.deep.equal(message);
    });

    it('server_max_window_bits=8 output inflates with a 256-byte window', async () => {
      // Data repeating every 251..300 bytes tempts a 512-byte-window compressor into distances
      // that a 256-byte-window inflater must reject.
      const messages = [periodic(251, 3000, 1), periodic(255, 3000, 2), periodic(300, 40000, 3), periodic(200, 3000, 4)];
      const pmd = make({ serverMaxWindowBits: 8 });
      const peer = referencePeer('inflate', 8, 64);
      for (const message of messages) expect(await peer.message(await compress(pmd, message))).to.deep.equal(message);
      peer.close();
      // The control: a 1024-byte window really does produce what that inflater rejects.
      const wide = referencePeer('deflate', 10);
      const strict = referencePeer('inflate', 8, 64);
      let rejected: unknown = null;
      try {
        for (const message of messages) await strict.message(await wide.message(message));
      } catch (error) {
        rejected = error;
      }
      expect((rejected as NodeJS.ErrnoException | null)?.code).to.equal('Z_DATA_ERROR');
      wide.close();
      strict.close();
    });
  });

  describe('limits and errors', () => {
    it('stops inflating a bomb at maxMessageSize: 1009, with bounded allocation', async () => {
      const bomb = zlib.deflateRawSync(Buffer.alloc(10 * 1024 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      expect(bomb.length).to.be.lessThan(16 * 1024);
      const pmd = make({}, { maxMessageSize: 1024 * 1024 });
      const allocUnsafe = sinon.spy(Buffer, 'allocUnsafe');
      const outcome = await decompressOutcome(pmd, bomb.subarray(0, bomb.length - 4));
      let allocated = 0;
      for (const call of allocUnsafe.getCalls()) allocated += call.args[0] as number;
      allocUnsafe.restore();
      expectProtocolError(outcome.error, 1009, 'WSS_ERR_MESSAGE_TOO_BIG');
      expect(outcome.result).to.equal(undefined);
      expect(allocated).to.be.greaterThan(1024 * 1024);
      expect(allocated).to.be.lessThan(2.5 * 1024 * 1024);
    });

    it('counts the limit over all fragments of one message, and restarts it per message', async () => {
      const pmd = make({}, { maxMessageSize: 1000 });
      const peer = referencePeer('deflate');
      const exact = jsonText(1000, 5);
      expect(await decompress(pmd, await peer.message(exact))).to.deep.equal(exact);
      const big = await peer.message(jsonText(1500, 6));
      const half = big.length >> 1;
      expect(await decompress(pmd, big.subarray(0, half), false)).to.have.length.below(1000);
      const outcome = await decompressOutcome(pmd, big.subarray(half), true);
      expectProtocolError(outcome.error, 1009, 'WSS_ERR_MESSAGE_TOO_BIG');
      // The failure is final: later calls get the same error.
      const later = await decompressOutcome(pmd, hex('f2 48 cd c9 c9 07 00'));
      expect(later.error).to.equal(outcome.error);
      peer.close();
    });

    it('takes more messages after a client ended its DEFLATE stream (BFINAL) on the async path', async () => {
      // §7.2.3.4 with a large message: node:zlib ends the stream's readable side at the final block,
      // so the codec must start a new stream rather than reset the old one.
      const message = jsonText(400000, 12);
      const final = zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_FINISH });
      expect(final.length).to.be.greaterThan(16 * 1024);
      const pmd = make();
      const peer = referencePeer('deflate');
      expect(await decompress(pmd, final)).to.deep.equal(message);
      expect(await decompress(pmd, await peer.message(message))).to.deep.equal(message);
      expect(await decompress(pmd, final)).to.deep.equal(message);
      expect((await decompress(pmd, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
      peer.close();
    });

    it('answers corrupt data with 1007, on the sync and the async path', async () => {
      const small = await decompressOutcome(make(), hex('ff ff ff ff ff'));
      expectProtocolError(small.error, 1007, 'WSS_ERR_INFLATE');
      const large = await decompressOutcome(make(), Buffer.alloc(64 * 1024, 0xff));
      expectProtocolError(large.error, 1007, 'WSS_ERR_INFLATE');
    });

    it('keeps call order when a large async message is followed by small ones', async () => {
      const pmd = make();
      const messages = [jsonText(200, 1), jsonText(600000, 2), jsonText(200, 1), jsonText(20, 3), jsonText(200, 1)];
      const order: number[] = [];
      const results: Buffer[] = [];
      let syncCalls = 0;
      const done = new Promise<void>((resolve, reject) => {
        messages.forEach((message, index) => {
          let returned = false;
          pmd.compress(message, (error, result) => {
            if (error) return reject(error);
            if (!returned) syncCalls++;
            order.push(index);
            results[index] = result!;
            if (order.length === messages.length) resolve();
          });
          returned = true;
        });
      });
      await done;
      expect(order).to.deep.equal([0, 1, 2, 3, 4]);
      expect(syncCalls).to.equal(1); // only the first: the others waited behind the large one
      const peer = referencePeer('inflate');
      for (let i = 0; i < messages.length; i++) expect(await peer.message(results[i]!)).to.deep.equal(messages[i]);
      peer.close();
    });

    it('keeps decompression order across the sync and async paths', async () => {
      const peer = referencePeer('deflate');
      const messages = [jsonText(3000000, 7), jsonText(100, 8), jsonText(100, 8)];
      const compressed: Buffer[] = [];
      for (const message of messages) compressed.push(await peer.message(message));
      expect(compressed[0]!.length).to.be.greaterThan(16 * 1024);
      const pmd = make();
      const order: number[] = [];
      const outcomes = await Promise.all(
        compressed.map((data, index) =>
          decompress(pmd, data).then((result) => {
            order.push(index);
            return result;
          }),
        ),
      );
      expect(order).to.deep.equal([0, 1, 2]);
      for (let i = 0; i < messages.length; i++) expect(outcomes[i]).to.deep.equal(messages[i]);
      peer.close();
    });

    it('limits the async zlib jobs of the whole process to 10', async () => {
      const codecs: PerMessageDeflate[] = [];
      for (let i = 0; i < 12; i++) codecs.push(make());
      const message = jsonText(200000, 9);
      const pending = codecs.map((pmd) => compress(pmd, message));
      expect(zlibJobsInFlight()).to.equal(10);
      const results = await Promise.all(pending);
      expect(zlibJobsInFlight()).to.equal(0);
      for (const result of results) expect(inflateAlone(result)).to.deep.equal(message);
    });

    it('close() stops pending callbacks and frees the thread-pool slots', async () => {
      const message = jsonText(400000, 10);
      const closedEarly = make();
      const running = make();
      const called = sinon.spy();
      closedEarly.compress(message, called);
      closedEarly.compress(Buffer.from('queued'), called);
      expect(zlibJobsInFlight()).to.equal(1);
      closedEarly.close();
      closedEarly.close();
      expect(zlibJobsInFlight()).to.equal(0);
      closedEarly.compress(Buffer.from('after close'), called);
      closedEarly.decompress(hex('f2 48 cd c9 c9 07 00'), true, called);
      // Another codec's identical job, started later, finishing is our clock.
      await compress(running, message);
      await compress(running, message);
      expect(called.callCount).to.equal(0);
    });

    it('close() of a codec waiting for a thread-pool slot gives the slot to the next one', async () => {
      const codecs: PerMessageDeflate[] = [];
      for (let i = 0; i < 12; i++) codecs.push(make());
      const message = jsonText(200000, 11);
      const called = sinon.spy();
      const pending: Array<Promise<Buffer>> = [];
      for (let i = 0; i < 12; i++) {
        if (i === 10) codecs[i]!.compress(message, called);
        else pending.push(compress(codecs[i]!, message));
      }
      codecs[10]!.close();
      await Promise.all(pending);
      expect(called.callCount).to.equal(0);
      expect(zlibJobsInFlight()).to.equal(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// the public-API fallback (what runs when this Node's zlib internals fail the load-time check)
// ---------------------------------------------------------------------------------------------

describe('PerMessageDeflate without the synchronous fast path (syncFastPath: false)', () => {
  const open: PerMessageDeflate[] = [];
  function make(params: Partial<DeflateParams> = {}, options: PerMessageDeflateOptions = {}): PerMessageDeflate {
    const pmd = codec(params, { ...options, syncFastPath: false });
    open.push(pmd);
    return pmd;
  }
  /** The native method the fast path drives: spied on to prove the fallback never calls it. */
  function spyWriteSync(): sinon.SinonSpy {
    const probe = zlib.createDeflateRaw();
    const proto = Object.getPrototypeOf((probe as unknown as { _handle: object })._handle) as { writeSync: () => void };
    probe.close();
    return sinon.spy(proto, 'writeSync');
  }
  afterEach(() => {
    for (const pmd of open) pmd.close();
    open.length = 0;
    sinon.restore();
  });

  it('the spy sees the fast path when it is on (the control)', async () => {
    const writeSync = spyWriteSync();
    const pmd = codec();
    open.push(pmd);
    let answered = false;
    pmd.compress(Buffer.from('Hello'), () => (answered = true));
    expect(answered).to.equal(true);
    expect(writeSync.callCount).to.be.greaterThan(0);
  });

  it('answers every call asynchronously through the public API, never calling writeSync', async () => {
    const writeSync = spyWriteSync();
    const pmd = make();
    let answered = false;
    const done = new Promise<Buffer | undefined>((resolve) =>
      pmd.compress(Buffer.from('Hello'), (error, result) => {
        answered = true;
        resolve(error ? undefined : result);
      }),
    );
    expect(answered).to.equal(false);
    expect(await done).to.deep.equal(hex('f2 48 cd c9 c9 07 00'));
    expect((await decompress(pmd, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
    expect(writeSync.callCount).to.equal(0);
  });

  it('§7.2.3.1/§7.2.3.2: keeps context takeover in both directions', async () => {
    const pmd = make();
    expect(await compress(pmd, Buffer.from('Hello'))).to.deep.equal(hex('f2 48 cd c9 c9 07 00'));
    expect(await compress(pmd, Buffer.from('Hello'))).to.deep.equal(hex('f2 00 11 00 00'));
    expect((await decompress(pmd, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
    expect((await decompress(pmd, hex('f2 00 11 00 00'))).toString()).to.equal('Hello');
  });

  it('§7.2.3.3-§7.2.3.6: stored blocks, BFINAL then a new message, two blocks, the empty message', async () => {
    const pmd = make();
    expect((await decompress(pmd, hex('00 05 00 fa ff 48 65 6c 6c 6f 00'))).toString()).to.equal('Hello');
    expect((await decompress(pmd, hex('f3 48 cd c9 c9 07 00 00'))).toString()).to.equal('Hello');
    expect((await decompress(pmd, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
    expect((await decompress(pmd, hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'))).toString()).to.equal('Hello');
    expect(await compress(pmd, Buffer.alloc(0))).to.deep.equal(hex('00'));
    expect(await decompress(pmd, hex('00'))).to.deep.equal(Buffer.alloc(0));
  });

  it('without context takeover every message compresses alike and inflates on its own', async () => {
    const pmd = make({ serverNoContextTakeover: true });
    const message = jsonText(2000);
    const first = await compress(pmd, message);
    expect(await compress(pmd, message)).to.deep.equal(first);
    expect(inflateAlone(first)).to.deep.equal(message);
    const resetting = make({ clientNoContextTakeover: true });
    expect((await decompress(resetting, hex('f2 48 cd c9 c9 07 00'))).toString()).to.equal('Hello');
    expectProtocolError((await decompressOutcome(resetting, hex('f2 00 11 00 00'))).error, 1007, 'WSS_ERR_INFLATE');
  });

  it('round-trips small and large messages with a context-keeping peer, in fragments too', async () => {
    const pmd = make();
    const inflater = referencePeer('inflate');
    const deflater = referencePeer('deflate');
    for (const message of [jsonText(100, 1), jsonText(300000, 2), jsonText(100, 1), jsonText(5000, 3)]) {
      expect(await inflater.message(await compress(pmd, message))).to.deep.equal(message);
      expect(await decompress(pmd, await deflater.message(message))).to.deep.equal(message);
    }
    const message = jsonText(50000, 4);
    const compressed = await deflater.message(message);
    const cuts = [0, 1, 1, 700, 9000, compressed.length - 3, compressed.length];
    const parts: Buffer[] = [];
    for (let i = 1; i < cuts.length; i++) {
      parts.push(await decompress(pmd, compressed.subarray(cuts[i - 1], cuts[i]), i === cuts.length - 1));
    }
    expect(Buffer.concat(parts)).to.deep.equal(message);
    inflater.close();
    deflater.close();
  });

  it('still stops inflating a bomb at maxMessageSize: 1009, with bounded allocation', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(10 * 1024 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const pmd = make({}, { maxMessageSize: 1024 * 1024 });
    const allocUnsafe = sinon.spy(Buffer, 'allocUnsafe');
    const outcome = await decompressOutcome(pmd, bomb.subarray(0, bomb.length - 4));
    let allocated = 0;
    for (const call of allocUnsafe.getCalls()) allocated += call.args[0] as number;
    allocUnsafe.restore();
    expectProtocolError(outcome.error, 1009, 'WSS_ERR_MESSAGE_TOO_BIG');
    expect(outcome.result).to.equal(undefined);
    // node:zlib's own output chunks are what is allocated (so the spy does see them): about the
    // limit, never the 10 MiB.
    expect(allocated).to.be.greaterThan(1024 * 1024);
    expect(allocated).to.be.lessThan(2.5 * 1024 * 1024);
  });

  it('still counts the limit over all fragments of one message, and fails for good', async () => {
    const pmd = make({}, { maxMessageSize: 1000 });
    const peer = referencePeer('deflate');
    const exact = jsonText(1000, 5);
    expect(await decompress(pmd, await peer.message(exact))).to.deep.equal(exact);
    const big = await peer.message(jsonText(1500, 6));
    const half = big.length >> 1;
    expect(await decompress(pmd, big.subarray(0, half), false)).to.have.length.below(1000);
    const outcome = await decompressOutcome(pmd, big.subarray(half), true);
    expectProtocolError(outcome.error, 1009, 'WSS_ERR_MESSAGE_TOO_BIG');
    expect((await decompressOutcome(pmd, hex('f2 48 cd c9 c9 07 00'))).error).to.equal(outcome.error);
    peer.close();
  });

  it('answers corrupt data with 1007 and keeps call order', async () => {
    expectProtocolError((await decompressOutcome(make(), hex('ff ff ff ff ff'))).error, 1007, 'WSS_ERR_INFLATE');
    const pmd = make();
    const messages = [jsonText(200, 1), jsonText(600000, 2), jsonText(20, 3)];
    const order: number[] = [];
    const results = await Promise.all(messages.map((m, i) => compress(pmd, m).then((r) => (order.push(i), r))));
    expect(order).to.deep.equal([0, 1, 2]);
    const peer = referencePeer('inflate');
    for (let i = 0; i < messages.length; i++) expect(await peer.message(results[i]!)).to.deep.equal(messages[i]);
    peer.close();
    expect(zlibJobsInFlight()).to.equal(0);
  });
});
