/**
 * The process-wide limit on zlib jobs running on the libuv thread pool (for RFC 7692 §7.2
 * compression and decompression), as ws's `limiter.js` does. The pool has 4 threads by default and
 * is shared with fs, dns and crypto: without a limit, thousands of connections each sending a big
 * message would queue thousands of zlib jobs ahead of every file read. Jobs beyond the limit wait
 * here, in arrival order, instead.
 *
 * This is process-wide state (one counter for every connection of every server), which is why it
 * lives outside the sans-I/O core.
 */

/** At most this many zlib jobs of all connections are on the thread pool at once. */
export const MAX_ZLIB_JOBS = 10;

/** Jobs holding a slot now, and the starts waiting for one, oldest first. */
let jobs = 0;
const waiting: Array<() => boolean> = [];

/**
 * Runs `start` once fewer than MAX_ZLIB_JOBS jobs are in flight; it may run before this returns.
 * `start` returns true when it took the slot (and will call releaseZlibSlot() once done), false
 * when its owner was closed meanwhile and took nothing: the slot goes to the next one waiting.
 */
export function whenZlibSlotFree(start: () => boolean): void {
  waiting.push(start);
  drain();
}

/** Gives back a slot taken by a `start` that returned true. */
export function releaseZlibSlot(): void {
  jobs--;
  drain();
}

/** Diagnostics: the number of async zlib jobs of this process now on the thread pool. */
export function zlibJobsInFlight(): number {
  return jobs;
}

function drain(): void {
  while (jobs < MAX_ZLIB_JOBS && waiting.length > 0) {
    const start = waiting.shift()!;
    // Counted before `start` runs, so that a start which finishes and releases its slot at once
    // (re-entering drain) leaves the count right and never lets more than MAX_ZLIB_JOBS through.
    jobs++;
    if (!start()) jobs--;
  }
}
