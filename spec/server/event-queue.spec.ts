import { expect } from 'chai';
import { EventQueue } from '../../lib/server/event-queue';

/** Timers that keep the process alive right now. */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

/** A wait as a promise (what the DoEvents loop makes of waitThen). */
function wait(queue: EventQueue, ms: number): Promise<void> {
  return new Promise((resolve) => queue.waitThen(ms, resolve));
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

  it('a wait ends at once (on the check phase) when something is queued, and keeps no timer alive', async () => {
    const queue = new EventQueue();
    queue.push({ fire: () => undefined });
    const before = refTimers();
    const started = performance.now();
    const waiting = wait(queue, 1000);
    // Counted before any await: other timers (mocha's) come and go across turns.
    expect(refTimers()).to.equal(before);
    await waiting;
    expect(performance.now() - started).to.be.below(100);
  });

  it('a wait ends when something is pushed, and its timer then keeps nobody alive', async () => {
    const queue = new EventQueue();
    const before = refTimers();
    let done = false;
    const waiting = wait(queue, 60_000).then(() => (done = true));
    expect(refTimers()).to.equal(before + 1);
    queue.push({ fire: () => undefined });
    expect(refTimers()).to.equal(before);
    await waiting;
    expect(done).to.equal(true);
  });

  it('a wait ends after its time when nothing comes, again and again, each wait its full time', async () => {
    const queue = new EventQueue();
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      await wait(queue, 30);
      expect(performance.now() - started).to.be.at.least(25);
    }
    // An early wake-up leaves the timer running; the next wait still gets its whole time.
    const early = wait(queue, 30);
    queue.push({ fire: () => undefined });
    await early;
    queue.drain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    await wait(queue, 30);
    expect(performance.now() - started).to.be.at.least(25);
  });

  it('a second wait while one waits wakes both', async () => {
    const queue = new EventQueue();
    const woken: number[] = [];
    const first = wait(queue, 60_000).then(() => woken.push(1));
    const second = wait(queue, 60_000).then(() => woken.push(2));
    queue.push({ fire: () => undefined });
    await Promise.all([first, second]);
    expect(woken.sort()).to.deep.equal([1, 2]);
  });
  it('waitThen() wakes once, on the check phase, for everything pushed before it (one round for a poll phase)', async () => {
    const queue = new EventQueue();
    let wakes = 0;
    let queuedAtWake = -1;
    queue.waitThen(60_000, () => {
      wakes++;
      queuedAtWake = queue.length;
    });
    queue.push({ fire: () => undefined });
    await Promise.resolve();
    // Not from inside push() and not in a microtask: the other reads of this turn queue first.
    expect(wakes).to.equal(0);
    queue.push({ fire: () => undefined });
    queue.push({ fire: () => undefined });
    await new Promise((resolve) => setImmediate(resolve));
    expect(wakes).to.equal(1);
    expect(queuedAtWake).to.equal(3);
    expect(queue.drain()).to.equal(3);
  });

  it('waitThen() with something queued wakes on the check phase; a wake-up finding the queue drained keeps waiting', async () => {
    const queue = new EventQueue();
    queue.push({ fire: () => undefined });
    let woken = false;
    queue.waitThen(60_000, () => (woken = true));
    expect(woken).to.equal(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).to.equal(true);
    expect(queue.drain()).to.equal(1);

    // Pushed while a waiter waits, then drained by someone else before the wake-up ran.
    let second = 0;
    queue.waitThen(40, () => second++);
    queue.push({ fire: () => undefined });
    queue.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).to.equal(0);
    const started = performance.now();
    while (second === 0 && performance.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    // Its own time ran out instead (the timer was kept alive again for it).
    expect(second).to.equal(1);

    // Waiting with something queued that someone else drains before the wake-up: the timer ends it.
    queue.push({ fire: () => undefined });
    let third = 0;
    queue.waitThen(40, () => third++);
    queue.drain();
    const again = performance.now();
    while (third === 0 && performance.now() - again < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(third).to.equal(1);
  });
});
