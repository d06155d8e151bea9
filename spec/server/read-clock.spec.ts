import { expect } from 'chai';
import sinon from 'sinon';
import { ReadClock, ReadTurns } from '../../lib/server/read-clock';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('ReadTurns', () => {
  it('gives the same number throughout one turn and the next number in the next turn', async () => {
    const turns = new ReadTurns();
    const first = turns.current();
    expect(turns.current()).to.equal(first);
    expect(turns.current()).to.equal(first);
    await nextTurn();
    // One setImmediate per turn: three calls in a turn advance the number once, not three times.
    expect(turns.current()).to.equal(first + 1);
  });

  it('does not advance in turns in which nobody asked', async () => {
    const turns = new ReadTurns();
    const first = turns.current();
    await nextTurn();
    const second = turns.current();
    expect(second).to.equal(first + 1);
    await nextTurn();
    await nextTurn();
    await nextTurn();
    expect(turns.current()).to.equal(second + 1);
  });

  it('makes one setImmediate per turn however often it is asked', () => {
    const immediates = sinon.spy(globalThis, 'setImmediate');
    try {
      const turns = new ReadTurns();
      for (let i = 0; i < 10; i++) turns.current();
      expect(immediates.callCount).to.equal(1);
    } finally {
      immediates.restore();
    }
  });
});

describe('ReadClock', () => {
  let now: number;
  let clockReads: sinon.SinonStub;

  beforeEach(() => {
    now = 0;
    clockReads = sinon.stub(performance, 'now').callsFake(() => now);
  });

  afterEach(() => sinon.restore());

  /** Ticks until the clock is read (a look); returns how many ticks that took and what the last one said. */
  function untilLook(clock: ReadClock, limitMs: number, max = 1000): { ticks: number; spent: boolean } {
    const before = clockReads.callCount;
    for (let ticks = 1; ticks <= max; ticks++) {
      const spent = clock.tick(limitMs);
      if (clockReads.callCount > before) return { ticks, spent };
      expect(spent, 'a tick without a look').to.equal(false);
    }
    throw new Error(`no look at the clock in ${max} ticks`);
  }

  it('says false and reads no clock while the connection is not reading in a turn', () => {
    const clock = new ReadClock();
    now = 1000;
    expect(clock.tick(10)).to.equal(false);
    expect(clockReads.callCount).to.equal(0);
  });

  it('looks after the first message, and says false until the limit is used up', () => {
    const clock = new ReadClock();
    clock.startTurn(1); // start = 0
    now = 5;
    expect(clock.tick(10)).to.equal(false);
    expect(clockReads.callCount).to.equal(2); // startTurn and the first look
  });

  it('says false when exactly the limit was spent and true once more than the limit was', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 10;
    expect(clock.tick(10), 'spent == limit').to.equal(false);
    now = 10.5;
    // At 10 ms per message with nothing left, the next look is after the next message.
    expect(clock.tick(10), 'spent > limit').to.equal(true);
  });

  it('keeps saying true, looking at every message, while the turn goes on over the limit', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 20;
    expect(clock.tick(10)).to.equal(true);
    const reads = clockReads.callCount;
    expect(clock.tick(10)).to.equal(true);
    expect(clockReads.callCount).to.equal(reads + 1);
  });

  it('never says true when the limit is 0 or less', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 1e6;
    for (let i = 0; i < 5; i++) {
      expect(clock.tick(0)).to.equal(false);
      expect(clock.tick(-1)).to.equal(false);
    }
  });

  it('spaces its looks by about half the time left at the pace seen so far', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 1; // 1 ms for the first message, 9 ms left: the next look 4 messages later
    expect(clock.tick(10)).to.equal(false);
    now = 20;
    expect(untilLook(clock, 10)).to.deep.equal({ ticks: 4, spent: true });
  });

  it('lets the stride grow for fast messages, up to 64 messages between looks', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 0.01; // 0.01 ms per message: half the time left would be ~500 messages
    expect(clock.tick(10)).to.equal(false);
    now = 20;
    expect(untilLook(clock, 10)).to.deep.equal({ ticks: 64, spent: true });
  });

  it('takes the longest stride when no time passed at all', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    expect(clock.tick(10)).to.equal(false); // spent 0
    now = 20;
    expect(untilLook(clock, 10)).to.deep.equal({ ticks: 64, spent: true });
  });

  it('shortens the stride as the limit nears', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 0.1;
    expect(clock.tick(100)).to.equal(false); // stride 64 (capped)
    now = 80; // 65 messages in 80 ms, 20 ms left: floor(20 / (80 / 65) / 2) = 8
    expect(untilLook(clock, 100)).to.deep.equal({ ticks: 64, spent: false });
    now = 101;
    expect(untilLook(clock, 100)).to.deep.equal({ ticks: 8, spent: true });
  });

  it('keeps its start within a turn and starts over in a new turn', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 8;
    clock.startTurn(1); // the same turn: the start stays at 0
    now = 11;
    expect(clock.tick(10)).to.equal(true);
    clock.startTurn(2); // a new turn: start = 11
    now = 15;
    expect(clock.tick(10)).to.equal(false);
  });

  it('endTurn: the next ticks say false without a look until a new turn starts', () => {
    const clock = new ReadClock();
    clock.startTurn(1);
    now = 20;
    clock.endTurn();
    const reads = clockReads.callCount;
    expect(clock.tick(10)).to.equal(false);
    expect(clockReads.callCount).to.equal(reads);
    clock.startTurn(1); // turn numbers may repeat after endTurn: it starts over
    now = 25;
    expect(clock.tick(10)).to.equal(false);
  });
});
