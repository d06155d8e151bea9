// The process-wide limit on zlib thread-pool jobs (lib/codec/zlib-limiter.ts), on its own; the
// codec's use of it is in deflate-codec.spec.ts.
import { expect } from 'chai';
import { MAX_ZLIB_JOBS, releaseZlibSlot, whenZlibSlotFree, zlibJobsInFlight } from '../../lib/codec/zlib-limiter';

describe('zlib-limiter: the process-wide limit on thread-pool jobs', () => {
  /** Slots this spec still holds, given back after each case so the other specs see an idle pool. */
  let held = 0;
  const take = (log: number[], id: number) => () => {
    log.push(id);
    held++;
    return true;
  };
  const release = (): void => {
    held--;
    releaseZlibSlot();
  };
  afterEach(() => {
    while (held > 0) release();
  });

  it('allows 10 jobs at once', () => {
    expect(MAX_ZLIB_JOBS).to.equal(10);
  });

  it('starts jobs at once while slots are free, and counts them', () => {
    expect(zlibJobsInFlight()).to.equal(0);
    const started: number[] = [];
    for (let i = 0; i < 3; i++) whenZlibSlotFree(take(started, i));
    expect(started).to.deep.equal([0, 1, 2]);
    expect(zlibJobsInFlight()).to.equal(3);
  });

  it('keeps the jobs beyond the limit waiting, and starts them in arrival order as slots free up', () => {
    const started: number[] = [];
    for (let i = 0; i < MAX_ZLIB_JOBS + 3; i++) whenZlibSlotFree(take(started, i));
    expect(started).to.have.length(MAX_ZLIB_JOBS);
    expect(zlibJobsInFlight()).to.equal(MAX_ZLIB_JOBS);
    release();
    expect(started.slice(MAX_ZLIB_JOBS)).to.deep.equal([MAX_ZLIB_JOBS]);
    release();
    release();
    expect(started.slice(MAX_ZLIB_JOBS)).to.deep.equal([MAX_ZLIB_JOBS, MAX_ZLIB_JOBS + 1, MAX_ZLIB_JOBS + 2]);
    expect(zlibJobsInFlight()).to.equal(MAX_ZLIB_JOBS);
  });

  it('gives the slot of a job whose owner closed meanwhile (start returns false) to the next one', () => {
    const started: number[] = [];
    for (let i = 0; i < MAX_ZLIB_JOBS; i++) whenZlibSlotFree(take(started, i));
    let asked = 0;
    whenZlibSlotFree(() => {
      asked++;
      return false;
    });
    whenZlibSlotFree(take(started, 99));
    release();
    expect(asked).to.equal(1);
    expect(started.at(-1)).to.equal(99);
    expect(zlibJobsInFlight()).to.equal(MAX_ZLIB_JOBS);
  });

  it('stays within the limit when a job finishes inside its own start', () => {
    let peak = 0;
    for (let i = 0; i < MAX_ZLIB_JOBS * 3; i++) {
      whenZlibSlotFree(() => {
        peak = Math.max(peak, zlibJobsInFlight());
        releaseZlibSlot();
        return true;
      });
    }
    expect(peak).to.be.at.most(MAX_ZLIB_JOBS);
    expect(zlibJobsInFlight()).to.equal(0);
  });
});
