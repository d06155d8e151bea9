// The synchronous fast path (lib/codec/zlib-sync.ts): the load-time check that guards its use of
// zlib internals, refusing every kind of changed internals, and runSync's four outcomes.
import { expect } from 'chai';
import zlib = require('node:zlib');
import {
  Output,
  RUN_DONE,
  RUN_ENDED,
  RUN_FAILED,
  RUN_FULL,
  SYNC_FAST_PATH_WORKS,
  nativeOf,
  probeSyncFastPath,
  runSync,
  type ZlibFactories,
  type ZlibNative,
  type ZlibStream,
} from '../../lib/codec/zlib-sync';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const SYNC = { flush: zlib.constants.Z_SYNC_FLUSH };

/** A stand-in for a zlib stream of a future Node: only what the probe touches. */
function fakeStream(internals: object): ZlibStream {
  return { on() {}, close() {}, destroyed: false, errored: null, ...internals } as unknown as ZlibStream;
}

/** Factories whose streams all have the given internals. */
function factories(internals: () => object): ZlibFactories {
  return { createDeflateRaw: () => fakeStream(internals()), createInflateRaw: () => fakeStream(internals()) };
}

function withNative(stream: ZlibStream): ZlibNative {
  const native = nativeOf(stream);
  expect(native).to.not.equal(null);
  return native!;
}

describe('zlib-sync: the synchronous fast path and its load-time check', () => {
  const streams: ZlibStream[] = [];
  function deflater(): ZlibStream {
    const stream = zlib.createDeflateRaw(SYNC);
    streams.push(stream);
    return stream;
  }
  function inflater(): ZlibStream {
    const stream = zlib.createInflateRaw(SYNC);
    stream.on('error', () => {});
    streams.push(stream);
    return stream;
  }
  afterEach(() => {
    for (const stream of streams) stream.close();
    streams.length = 0;
  });

  describe('probeSyncFastPath', () => {
    it('passes on this Node (the fast path is in use; if this fails, a Node upgrade changed zlib internals)', () => {
      expect(SYNC_FAST_PATH_WORKS).to.equal(true);
      expect(probeSyncFastPath()).to.equal(true);
    });

    it('refuses streams without a native handle or result array of the expected shape', () => {
      const writeSync = () => {};
      expect(probeSyncFastPath(factories(() => ({})))).to.equal(false);
      expect(probeSyncFastPath(factories(() => ({ _handle: null, _writeState: new Uint32Array(2) })))).to.equal(false);
      expect(probeSyncFastPath(factories(() => ({ _handle: {}, _writeState: new Uint32Array(2) })))).to.equal(false);
      expect(probeSyncFastPath(factories(() => ({ _handle: { writeSync }, _writeState: [0, 0] })))).to.equal(false);
      expect(probeSyncFastPath(factories(() => ({ _handle: { writeSync }, _writeState: new Uint32Array(1) })))).to.equal(false);
    });

    it('refuses internals that throw', () => {
      const throwing = factories(() => ({
        _handle: {
          writeSync() {
            throw new TypeError('writeSync is not what it was');
          },
        },
        _writeState: new Uint32Array(2),
      }));
      expect(probeSyncFastPath(throwing)).to.equal(false);
    });

    it('refuses internals whose output differs from the public API', () => {
      // Right shape, wrong meaning: claims all input consumed and three zero bytes produced.
      const wrong = factories(() => {
        const state = new Uint32Array(2);
        return {
          _writeState: state,
          _handle: {
            writeSync(_flush: number, _input: Buffer, _inOff: number, _inLen: number, out: Buffer, outOff: number, outLen: number) {
              out.fill(0, outOff, outOff + 3);
              state[0] = outLen - 3;
              state[1] = 0;
            },
          },
        };
      });
      expect(probeSyncFastPath(wrong)).to.equal(false);
    });

    it('refuses internals reporting more than was offered, before using the counts as offsets', () => {
      const lying = factories(() => {
        const state = new Uint32Array(2);
        return {
          _writeState: state,
          _handle: {
            writeSync(_flush: number, _input: Buffer, _inOff: number, inLen: number, _out: Buffer, _outOff: number, outLen: number) {
              state[0] = outLen + 1;
              state[1] = inLen + 1;
            },
          },
        };
      });
      expect(probeSyncFastPath(lying)).to.equal(false);
    });

    it('refuses a real deflater paired with an inflater that misses corrupt data', () => {
      const blind = (): ZlibStream => {
        const real = zlib.createInflateRaw(SYNC);
        streams.push(real);
        const native = withNative(real);
        // Inflates the probe's sample correctly, but reports nothing for corrupt input.
        return fakeStream({
          _writeState: native.state,
          _handle: {
            writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number) {
              if (inLen === 4 && input.subarray(inOff, inOff + 4).every((byte) => byte === 0xff)) {
                native.state[0] = outLen;
                native.state[1] = 0;
                return;
              }
              native.handle.writeSync(flush, input, inOff, inLen, out, outOff, outLen);
            },
          },
        });
      };
      expect(probeSyncFastPath({ createDeflateRaw: zlib.createDeflateRaw, createInflateRaw: blind })).to.equal(false);
    });
  });

  describe('nativeOf', () => {
    it('finds the handle and result array of a real stream, and nothing on a closed one', () => {
      const stream = deflater();
      const native = withNative(stream);
      expect(native.state).to.be.instanceOf(Uint32Array);
      stream.close();
      expect(nativeOf(stream)).to.equal(null);
    });
  });

  describe('runSync', () => {
    it('RUN_DONE: compresses §7.2.3.1 "Hello" with the sync-flush tail, keeping the window for the next', () => {
      const stream = deflater();
      const native = withNative(stream);
      const out = new Output();
      expect(runSync(stream, native, Buffer.from('Hello'), out, Number.POSITIVE_INFINITY)).to.equal(RUN_DONE);
      expect(out.take()).to.deep.equal(hex('f2 48 cd c9 c9 07 00 00 00 ff ff'));
      // §7.2.3.2: the same stream refers back to the first message.
      expect(runSync(stream, native, Buffer.from('Hello'), out, Number.POSITIVE_INFINITY)).to.equal(RUN_DONE);
      expect(out.take()).to.deep.equal(hex('f2 00 11 00 00 00 00 ff ff'));
    });

    it('RUN_FULL: stops at stopAt output bytes and tells how much input is left', () => {
      const message = Buffer.alloc(5000, 'abc');
      const compressed = zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      const stream = inflater();
      const native = withNative(stream);
      const out = new Output();
      expect(runSync(stream, native, compressed, out, 1000)).to.equal(RUN_FULL);
      expect(out.length).to.equal(1000);
      let input = compressed.subarray(compressed.length - native.state[1]!);
      while (runSync(stream, native, input, out, out.length + 1000) === RUN_FULL) input = input.subarray(input.length - native.state[1]!);
      expect(out.take()).to.deep.equal(message);
    });

    it('RUN_ENDED: the DEFLATE stream ended (BFINAL, §7.2.3.4) before the input did', () => {
      const stream = inflater();
      const native = withNative(stream);
      const out = new Output();
      expect(runSync(stream, native, hex('f3 48 cd c9 c9 07 00 00 00 00 ff ff'), out, Number.POSITIVE_INFINITY)).to.equal(RUN_ENDED);
      expect(out.take().toString()).to.equal('Hello');
    });

    it('RUN_FAILED: corrupt input destroys the stream with the zlib error', () => {
      const stream = inflater();
      const native = withNative(stream);
      expect(runSync(stream, native, hex('ff ff ff ff'), new Output(), Number.POSITIVE_INFINITY)).to.equal(RUN_FAILED);
      expect((stream.errored as NodeJS.ErrnoException | null)?.code).to.equal('Z_DATA_ERROR');
    });
  });

  describe('Output', () => {
    it('hands one piece over as is, joins several, and is empty again after take()', () => {
      const out = new Output();
      expect(out.take()).to.deep.equal(Buffer.alloc(0));
      const piece = Buffer.from('ab');
      out.add(piece);
      expect(out.take()).to.equal(piece);
      out.add(Buffer.from('ab'));
      out.add(Buffer.from('cd'));
      expect(out.length).to.equal(4);
      expect(out.take().toString()).to.equal('abcd');
      expect(out.length).to.equal(0);
    });
  });
});
