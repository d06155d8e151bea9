import { expect } from 'chai';
import { EventQueue } from '../../lib/server/event-queue';

/** Timers that keep the process alive right now. */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('EventQueue', () => {
  it('drains in order, including what the fired events queue, and can be reused once empty', () => {
    const queue = new EventQueue();
    const fired: string[] = [];
    queue.push({ fire: () => fired.push('a') });
    queue.push({
      fire: () => {
        fired.push('b');
        queue.push({ fire: () => fired.push('c') });
      },
    });
    expect(queue.drain()).to.equal(3);
    expect(queue.length).to.equal(0);
    queue.push({ fire: () => fired.push('d') });
    expect(queue.length).to.equal(1);
    expect(queue.drain()).to.equal(1);
    expect(fired).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('wait() resolves at once when something is queued', async () => {
    const queue = new EventQueue();
    queue.push({ fire: () => undefined });
    const before = refTimers();
    const started = performance.now();
    const waiting = queue.wait(1000);
    // Counted before any await: other timers (mocha's) come and go across turns.
    expect(refTimers()).to.equal(before);
    await waiting;
    expect(performance.now() - started).to.be.below(100);
  });

  it('wait() resolves when something is pushed, and its timer then keeps nobody alive', async () => {
    const queue = new EventQueue();
    const before = refTimers();
    let done = false;
    const waiting = queue.wait(60_000).then(() => (done = true));
    expect(refTimers()).to.equal(before + 1);
    queue.push({ fire: () => undefined });
    expect(refTimers()).to.equal(before);
    await waiting;
    expect(done).to.equal(true);
  });

  it('wait() resolves after its time when nothing comes, again and again, each wait its full time', async () => {
    const queue = new EventQueue();
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      await queue.wait(30);
      expect(performance.now() - started).to.be.at.least(25);
    }
    // An early wake-up leaves the timer running; the next wait still gets its whole time.
    const early = queue.wait(30);
    queue.push({ fire: () => undefined });
    await early;
    queue.drain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    await queue.wait(30);
    expect(performance.now() - started).to.be.at.least(25);
  });

  it('a second wait while one waits wakes both', async () => {
    const queue = new EventQueue();
    const woken: number[] = [];
    const first = queue.wait(60_000).then(() => woken.push(1));
    const second = queue.wait(60_000).then(() => woken.push(2));
    queue.push({ fire: () => undefined });
    await Promise.all([first, second]);
    expect(woken.sort()).to.deep.equal([1, 2]);
  });
});
