import { expect } from 'chai';
import sinon from 'sinon';
import { FlushScheduler, ROUND_FLUSH_LIMIT, type Flushable } from '../../lib/server/flush-scheduler';

/** A target that records each flush under its name. */
function target(name: string, log: string[]): Flushable & { flush: sinon.SinonSpy } {
  return { flush: sinon.spy(() => log.push(name)) };
}

/** Lets the pending process.nextTick callbacks run (they were queued before this one). */
function nextTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

describe('FlushScheduler', () => {
  afterEach(() => sinon.restore());

  it('writes nothing at once: a scheduled target is flushed on the next tick', async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler();
    const a = target('a', log);
    scheduler.schedule(a);
    expect(log).to.deep.equal([]);
    await nextTick();
    expect(log).to.deep.equal(['a']);
  });

  it('flushes a target once however often it was scheduled in the tick', async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler();
    const a = target('a', log);
    scheduler.schedule(a);
    scheduler.schedule(a);
    scheduler.schedule(a);
    await nextTick();
    await nextTick();
    expect(a.flush.callCount).to.equal(1);
  });

  it('uses one nextTick for the whole server, however many targets asked, in the order they asked', async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler();
    const ticks = sinon.spy(process, 'nextTick');
    scheduler.schedule(target('a', log));
    scheduler.schedule(target('b', log));
    scheduler.schedule(target('c', log));
    const scheduled = ticks.callCount;
    ticks.restore();
    expect(scheduled).to.equal(1);
    await nextTick();
    expect(log).to.deep.equal(['a', 'b', 'c']);
  });

  it('arms a new tick for what is scheduled after a flush', async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler();
    const a = target('a', log);
    scheduler.schedule(a);
    await nextTick();
    scheduler.schedule(a);
    await nextTick();
    expect(a.flush.callCount).to.equal(2);
  });

  describe('rounds', () => {
    it('defers what is scheduled in a round to endRound, with no tick of its own', async () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      const ticks = sinon.spy(process, 'nextTick');
      scheduler.beginRound();
      scheduler.schedule(target('a', log));
      scheduler.schedule(target('b', log));
      const scheduled = ticks.callCount;
      ticks.restore();
      expect(scheduled).to.equal(0);
      await nextTick();
      expect(log, 'before endRound').to.deep.equal([]);
      scheduler.endRound();
      expect(log).to.deep.equal(['a', 'b']);
    });

    it(`holds at most ${ROUND_FLUSH_LIMIT} connections in a round: the next one to ask writes those first, itself at the end`, () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      scheduler.beginRound();
      const names = Array.from({ length: ROUND_FLUSH_LIMIT + 3 }, (_, i) => `c${i}`);
      const targets = names.map((name) => target(name, log));
      for (let i = 0; i < ROUND_FLUSH_LIMIT; i++) scheduler.schedule(targets[i]!);
      expect(log, 'at the limit').to.deep.equal([]);
      // The one past the limit may be half way through a message: it is not written yet.
      scheduler.schedule(targets[ROUND_FLUSH_LIMIT]!);
      expect(log).to.deep.equal(names.slice(0, ROUND_FLUSH_LIMIT));
      // A connection written early that sends again in the same round is simply waiting again.
      scheduler.schedule(targets[0]!);
      scheduler.schedule(targets[ROUND_FLUSH_LIMIT + 1]!);
      scheduler.endRound();
      expect(log.slice(ROUND_FLUSH_LIMIT)).to.deep.equal([`c${ROUND_FLUSH_LIMIT}`, 'c0', `c${ROUND_FLUSH_LIMIT + 1}`]);
      expect(targets[ROUND_FLUSH_LIMIT + 2]!.flush.callCount).to.equal(0);
    });

    it('flushes only when the outermost of nested rounds ends', () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      scheduler.beginRound();
      scheduler.beginRound();
      scheduler.schedule(target('a', log));
      scheduler.endRound();
      expect(log, 'after the inner round').to.deep.equal([]);
      scheduler.endRound();
      expect(log).to.deep.equal(['a']);
    });

    it('a round that ends before the pending tick writes what waited, and the tick then finds nothing', async () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      const a = target('a', log);
      scheduler.schedule(a); // arms the tick
      scheduler.beginRound();
      scheduler.endRound();
      expect(a.flush.callCount).to.equal(1);
      await nextTick();
      expect(a.flush.callCount).to.equal(1);
    });

    it('after a round, a schedule outside any round arms a tick again', async () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      scheduler.beginRound();
      scheduler.schedule(target('a', log));
      scheduler.endRound();
      scheduler.schedule(target('b', log));
      expect(log).to.deep.equal(['a']);
      await nextTick();
      expect(log).to.deep.equal(['a', 'b']);
    });
  });

  describe('flushAll', () => {
    it('writes every waiting target once, in order, and leaves nothing for the tick', async () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      const a = target('a', log);
      const b = target('b', log);
      scheduler.schedule(a);
      scheduler.schedule(b);
      scheduler.flushAll();
      expect(log).to.deep.equal(['a', 'b']);
      scheduler.flushAll();
      await nextTick();
      expect(log).to.deep.equal(['a', 'b']);
    });

    it('does nothing when nobody waits, and a target flushed once is not flushed again', () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      expect(() => scheduler.flushAll()).not.to.throw();
      scheduler.schedule(target('a', log));
      scheduler.flushAll();
      scheduler.flushAll();
      expect(log).to.deep.equal(['a']);
    });

    it('lets a flushed target be scheduled again (it is no longer counted as waiting)', async () => {
      const log: string[] = [];
      const scheduler = new FlushScheduler();
      const a = target('a', log);
      scheduler.schedule(a);
      scheduler.flushAll();
      scheduler.schedule(a);
      await nextTick();
      expect(log).to.deep.equal(['a', 'a']);
    });
  });
});
