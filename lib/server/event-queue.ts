/**
 * The per-server queue behind DoEvents. The component fires events only when the application calls
 * DoEvents (or, with ProcessIdleEvents, at once): occurrences are queued here in order, together with
 * what must happen after the event fired (e.g. continuing a handshake held for its out-parameters).
 */

export interface QueuedEvent {
  fire(): void;
}

export class EventQueue {
  private items: QueuedEvent[] = [];
  private head = 0;
  private waiter: (() => void) | null = null;
  /** A wake-up of the waiter is scheduled (see push()). */
  private waking = false;
  /**
   * The wait's timer, kept from one wait to the next and re-armed with refresh(): a DoEvents loop waits
   * once per round, and a new timer per round would be an allocation and a timer-list insertion each time.
   * A wake-up by push() leaves it running but unref()'d (it no longer keeps the process alive); when it
   * fires with nobody waiting it does nothing.
   */
  private timer: NodeJS.Timeout | null = null;
  private timerMs = -1;

  get length(): number {
    return this.items.length - this.head;
  }

  /**
   * Queues an event. A waiter is woken on the event loop's check phase (setImmediate), not at once: the
   * reads of every connection that became readable in the same poll phase are queued first, and one
   * DoEvents round then fires them all and writes each connection's replies in one batch. (Waking in a
   * microtask would make one round per socket read, each with its own promise, timer re-arm and flush.)
   */
  push(item: QueuedEvent): void {
    this.items.push(item);
    if (this.waiter !== null) this.scheduleWake();
  }

  /**
   * Fires what is queued, in order, including what those events queue in turn, up to `limit` events so
   * that one call cannot run forever. Returns how many fired.
   */
  drain(limit = 100000): number {
    let fired = 0;
    while (this.head < this.items.length && fired < limit) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as QueuedEvent;
      fired++;
      item.fire();
    }
    if (this.head === this.items.length) {
      // Emptied: start over in the same array (its slots were cleared as they fired).
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return fired;
  }

  /**
   * Calls `wake` (from the event loop, never from inside push()) when something is queued or after `ms`
   * milliseconds, whichever comes first; on the check phase if something is queued already. A callback
   * rather than a promise: the DoEvents loop then makes one promise per round, its own.
   */
  waitThen(ms: number, wake: () => void): void {
    // One waiter at a time: a second DoEvents while one waits takes over the wake-up of the first.
    const previous = this.waiter;
    this.waiter = previous
      ? () => {
          previous();
          wake();
        }
      : wake;
    // Armed even when something is queued already: if someone else drains it first, the wait still ends.
    this.armTimer(Math.max(0, ms));
    if (this.length > 0) this.scheduleWake();
  }

  /** The waiter goes on at the check phase (once, however many events come before it). */
  private scheduleWake(): void {
    if (this.waking) return;
    this.waking = true;
    // Until then the timer keeps nobody alive: the wake-up is coming.
    this.timer?.unref();
    setImmediate(wakeUp, this);
  }

  /** The timer for a wait that starts now: the kept one moved to now + ms, or a new one. */
  private armTimer(ms: number): void {
    if (this.timer !== null && this.timerMs === ms) {
      this.timer.ref();
      this.timer.refresh();
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(waitOver, ms, this);
    this.timerMs = ms;
  }

  /** @internal The wait's time is up: whoever waits goes on. */
  timeUp(): void {
    const wake = this.waiter;
    this.waiter = null;
    if (wake) wake();
  }

  /** @internal The wake-up push() scheduled: the waiter goes on, if it is still there. */
  woken(): void {
    this.waking = false;
    // Drained meanwhile (a DoEvents call that did not wait): whoever waits now keeps waiting.
    if (this.length > 0) this.timeUp();
    else if (this.waiter !== null) this.timer?.ref();
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

function waitOver(queue: EventQueue): void {
  queue.timeUp();
}

function wakeUp(queue: EventQueue): void {
  queue.woken();
}
