/**
 * Write batching across connections. A connection that gathers output outside its own read (a send from
 * a timer, from another connection's handler, from DoEvents) asks to be flushed here: it is written when
 * the current dispatch round is over, or on the next tick — one tick for the whole server, however many
 * connections sent. The scheduler alone knows which connections wait; a connection that flushed by
 * itself in the meantime is simply found with nothing to write.
 */

/** What the scheduler flushes. */
export interface Flushable {
  flush(): void;
}

/**
 * Connections whose output a dispatch round may hold at once. A DoEvents round fires the events of every
 * connection read in one poll phase (hundreds, under load); writing each connection only at the round's
 * end would make the first one's replies wait for all the others' handlers (the DoEvents loop's p99 was
 * 3.1 ms against the modern API's 1.9 in the bench's compat scenario; with a limit of 16: 2.6 ms, of 4:
 * 2.5 ms, throughput unchanged). When one more asks, the waiting ones are written at once: still one
 * write per connection per round, and a reply waits for at most this many other connections' handlers.
 */
export const ROUND_FLUSH_LIMIT = 8;

export class FlushScheduler {
  private readonly waiting = new Set<Flushable>();
  private armed = false;
  /** A dispatch round is running: its end flushes (see Dispatcher.drain). */
  private rounds = 0;

  /** `target` has output to write at the end of this round or tick. */
  schedule(target: Flushable): void {
    if (this.waiting.has(target)) return;
    // The others first: `target` may be in the middle of a message (a header before its payload),
    // while theirs are whole (one connection's frames are written in one synchronous run).
    if (this.rounds > 0 && this.waiting.size >= ROUND_FLUSH_LIMIT) this.flushAll();
    this.waiting.add(target);
    if (this.armed || this.rounds > 0) return;
    this.armed = true;
    process.nextTick(flushTick, this);
  }

  /** A dispatch round begins: what is scheduled meanwhile waits for its end. */
  beginRound(): void {
    this.rounds++;
  }

  /** The round is over: writes what its handlers sent, once per connection. */
  endRound(): void {
    this.rounds--;
    if (this.rounds === 0) this.flushAll();
  }

  /** Writes the output of every connection that asked. */
  flushAll(): void {
    this.armed = false;
    if (this.waiting.size === 0) return;
    for (const target of this.waiting) {
      this.waiting.delete(target);
      target.flush();
    }
  }
}

function flushTick(scheduler: FlushScheduler): void {
  scheduler.flushAll();
}
