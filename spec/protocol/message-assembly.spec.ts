import { expect } from 'chai';
import * as sinon from 'sinon';
import { MessageAssembly } from '../../lib/protocol/message-assembly';

/** Feeds `frame` (its payload) in pieces of `sizes` bytes the way the parser does: ask, unmask, add. */
function feed(assembly: MessageAssembly, payload: Buffer, sizes: number[]): number[] {
  const bound: number[] = [];
  let at = 0;
  assembly.startFrame(payload.length);
  for (const size of sizes) {
    const piece = payload.subarray(at, (at += size));
    const target = assembly.pieceTarget(piece.length);
    if (target === null) assembly.add(Buffer.from(piece));
    else {
      expect(target.length).to.equal(piece.length);
      target.set(piece);
      assembly.add(target);
    }
    bound.push(assembly.bytes / at);
  }
  return bound;
}

const payloadOf = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff));

describe('MessageAssembly', () => {
  afterEach(() => sinon.restore());

  it('holds the large pieces of a long frame until half is in, then makes one buffer at its length', () => {
    const assembly = new MessageAssembly(64 << 20);
    const payload = payloadOf(1 << 20);
    const allocations = sinon.spy(Buffer, 'allocUnsafe');
    const ratios = feed(assembly, payload, Array.from({ length: 16 }, () => 65536));
    expect(allocations.args.map(([n]) => n)).to.deep.equal([1 << 20]);
    expect(Math.max(...ratios)).to.be.at.most(2);
    const whole = assembly.take();
    expect(whole.equals(payload)).to.equal(true);
    expect(whole.buffer.byteLength).to.equal(1 << 20); // the buffer itself, no view of a larger one
    expect(assembly.bytes).to.equal(0);
    expect(assembly.empty).to.equal(true);
  });

  it('copies small pieces in as they come, doubling from 1 KiB, never above twice what arrived', () => {
    const assembly = new MessageAssembly(64 << 20);
    const payload = payloadOf(100000);
    const allocations = sinon.spy(Buffer, 'allocUnsafe');
    const ratios = feed(assembly, payload, Array.from({ length: 200 }, () => 500));
    const sizes = allocations.args.map(([n]) => n as number);
    expect(sizes[0]).to.equal(1024);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).to.be.at.least(sizes[i - 1]! * 2);
    expect(Math.max(...ratios.slice(2))).to.be.at.most(2);
    expect(assembly.take().equals(payload)).to.equal(true);
  });

  it('reserves nothing for what a header announces: 1000 bytes of a 100 MiB frame hold 2 KiB', () => {
    const assembly = new MessageAssembly(200 << 20);
    assembly.startFrame(100 << 20);
    const target = assembly.pieceTarget(1000);
    expect(target).to.not.equal(null);
    assembly.add(target!);
    expect(assembly.bytes).to.equal(2000);
  });

  it('keeps pieces added without being asked (inflated data) in order, with held ones', () => {
    const assembly = new MessageAssembly(64 << 20);
    assembly.add(Buffer.from('abc'));
    assembly.add(Buffer.alloc(0));
    assembly.add(Buffer.from('def'));
    expect(assembly.take().toString()).to.equal('abcdef');
    const big = payloadOf(8192);
    assembly.startFrame(8192 * 4);
    expect(assembly.pieceTarget(8192)).to.equal(null);
    assembly.add(Buffer.from(big));
    expect(assembly.bytes).to.equal(8192);
    assembly.clear();
    expect(assembly.bytes).to.equal(0);
    expect(assembly.take().length).to.equal(0);
  });
});
