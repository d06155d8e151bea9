/**
 * MaxReadTime fairness: a connection that has been handled for longer than MaxReadTime in one turn of
 * the event loop stops — even in the middle of a chunk — and lets the other connections be read before
 * it goes on (its reading is held with ReadHold.Fairness until the next turn).
 *
 * The clock is read when a connection starts reading in a turn and then only every `countdown`
 * messages, a stride set to use about half the time left at the pace seen so far (at most CLOCK_STRIDE):
 * fast handlers cost no clock reads, slow ones are looked at after each message as they near the limit.
 */
import { performance } from 'node:perf_hooks';

/** At most this many messages go by between two looks at the clock. */
const CLOCK_STRIDE = 64;

/** A number that changes once per event-loop turn while connections read (one setImmediate per turn per server). */
export class ReadTurns {
  private turnValue = 1;
  private ticking = false;

  current(): number {
    if (!this.ticking) {
      this.ticking = true;
      setImmediate(advance, this);
    }
    return this.turnValue;
  }

  /** @internal */
  advance(): void {
    this.ticking = false;
    this.turnValue++;
  }
}

function advance(turns: ReadTurns): void {
  turns.advance();
}

/** One connection's MaxReadTime bookkeeping, made when it first reads with MaxReadTime set. */
export class ReadClock {
  /** The turn in which this connection started reading (0: not reading). */
  private turn = 0;
  /** performance.now() then. */
  private start = 0;
  /** Messages handled in this turn. */
  private messages = 0;
  /** Messages to go before the next look at the clock. */
  private countdown = 0;

  /** Notes that the connection reads in `turn`; the first look comes after the first message. */
  startTurn(turn: number): void {
    if (turn === this.turn) return;
    this.turn = turn;
    this.start = performance.now();
    this.messages = 0;
    this.countdown = 1;
  }

  /** Counts one message (or chunk); true when the connection has used up `limitMs` in this turn. */
  tick(limitMs: number): boolean {
    if (this.turn === 0) return false;
    this.messages++;
    if (--this.countdown > 0) return false;
    if (limitMs <= 0) return false;
    const spent = performance.now() - this.start;
    if (spent <= limitMs) {
      const pace = spent / this.messages;
      const stride = pace > 0 ? Math.floor((limitMs - spent) / pace / 2) : CLOCK_STRIDE;
      this.countdown = stride < 1 ? 1 : stride > CLOCK_STRIDE ? CLOCK_STRIDE : stride;
      return false;
    }
    this.countdown = 1;
    return true;
  }

  /** The turn given up is over: the next read starts a new one. */
  endTurn(): void {
    this.turn = 0;
  }
}
