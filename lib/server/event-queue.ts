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

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: QueuedEvent): void {
    this.items.push(item);
    const wake = this.waiter;
    if (wake) {
      this.waiter = null;
      wake();
    }
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
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return fired;
  }

  /** Resolves when something is queued or after `ms` milliseconds, whichever comes first. */
  wait(ms: number): Promise<void> {
    if (this.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiter === done) this.waiter = null;
        resolve();
      }, Math.max(0, ms));
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      // One waiter at a time: a second DoEvents while one waits takes over the wake-up of the first.
      const previous = this.waiter;
      this.waiter = previous
        ? () => {
            previous();
            done();
          }
        : done;
    });
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
