/**
 * How events reach the application (../shared/API-CONTRACT.md, "Dispatch"). With ProcessIdleEvents=true
 * they fire as they occur; with false they are queued and fire only from DoEvents. Events with
 * out-parameters hold their connection until they have fired and their handlers are done (`decided`
 * reads them): an async handler keeps the connection held until its promise settles, and a handler
 * that throws or rejects refuses (fail closed). Engine steps that must keep their place among queued
 * events (failing a connection) are queued as actions. A listener that throws — or, for an async
 * listener, rejects — whatever it throws, is reported through the Error event, never through the
 * listener that failed.
 */
import type { EventEmitter } from 'node:events';
import { ErrorCode } from '../generated/api';
import { describeThrown } from './errors';
import { EventQueue } from './event-queue';
import type { DataInEvent, WSServerEventName, WSServerEvents } from './events';
import type { FlushScheduler } from './flush-scheduler';
import type { Settings } from './settings';
import { timerDelay } from './timer-limit';

/**
 * A connection's account of the events queued for DoEvents on its behalf (its backlog; see
 * ReadHold.Backlog): each is charged its payload bytes plus EVENT_COST, and counted.
 */
export interface BacklogOwner {
  eventQueued(cost: number): void;
  eventFired(cost: number): void;
}

/**
 * What a queued event costs at least, in bytes: the event object, its queue entry and its strings.
 * Measured with heap snapshots at ~110-140 bytes for a Ping or an empty DataIn, so an empty event is not
 * free and a peer cannot queue a million of them within a byte budget.
 */
export const EVENT_COST = 128;

/** Finds the connection an event is charged to (by its connectionId), or null. */
export type BacklogLookup = (connectionId: number) => BacklogOwner | null | undefined;

const NO_OWNER: BacklogLookup = () => null;

const RESOLVED = Promise.resolve();
const nothing = (): void => undefined;
const rejection = (error: unknown): Promise<never> => Promise.reject(error);

/**
 * What happens once an event with out-parameters has been decided. `refused` is true when one of its
 * handlers threw, or the promise an async handler returned rejected: a decision that cannot be known
 * refuses. Otherwise the out-parameters are read; should reading them throw (a value set there that
 * cannot be converted), `decided(true)` follows.
 */
export type HeldDecision = (refused: boolean) => void;

export class Dispatcher {
  private readonly queue = new EventQueue();

  constructor(
    private readonly emitter: EventEmitter,
    private readonly settings: Settings,
    private readonly flusher: FlushScheduler,
    private readonly ownerOf: BacklogLookup = NO_OWNER,
  ) {}

  /** Events fire as they occur (ProcessIdleEvents=true) rather than from DoEvents. */
  get immediate(): boolean {
    return this.settings.values.ProcessIdleEvents;
  }

  /** Events waiting for DoEvents. */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether `name` has listeners: callers skip building an event nobody receives. */
  listens(name: WSServerEventName): boolean {
    return this.emitter.listenerCount(name) > 0;
  }

  /** Fires (or queues) an informational event; nothing is built or queued when nobody listens. */
  dispatchEvent<K extends WSServerEventName>(name: K, event: WSServerEvents[K]): void {
    if (this.emitter.listenerCount(name) === 0) return;
    if (this.immediate) this.fire(name, event);
    else this.queue.push(new QueuedFire(this, name, event, null, this.charge(event)));
  }

  /** DoEvents mode: charges a queued event to its connection's backlog; returns who pays. */
  private charge(event: unknown): BacklogOwner | null {
    const id = (event as { connectionId?: unknown }).connectionId;
    if (typeof id !== 'number' || id <= 0) return null;
    const owner = this.ownerOf(id) ?? null;
    owner?.eventQueued(EVENT_COST);
    return owner;
  }

  /**
   * Fires (or queues) an event with out-parameters; `decided` runs once it has been decided (see
   * fireHeld). With no listener there is nothing to decide: `decided(false)` runs at once, in DoEvents
   * mode too.
   */
  dispatchHeld<K extends WSServerEventName>(name: K, event: WSServerEvents[K], decided: HeldDecision): void {
    if (this.emitter.listenerCount(name) === 0) return decided(false);
    if (this.immediate) this.fireHeld(name, event, decided);
    else this.queue.push(new QueuedFire(this, name, event, decided, this.charge(event)));
  }

  /**
   * Fires an event with out-parameters. Listeners are called as emit() calls them, but what they return
   * counts: a promise (any thenable) holds the decision until it settles, so an async handler may await
   * before it sets the out-parameters. `decided` runs when every listener has returned and every such
   * promise has resolved; the first listener that throws ends the firing (as emit does) and refuses at
   * once, and a rejection refuses once all have settled. Each failure is reported (Error 615).
   */
  fireHeld(name: WSServerEventName, event: unknown, decided: HeldDecision): void {
    let pending: Array<Promise<boolean>> | null = null;
    let refused = false;
    for (const listener of this.emitter.rawListeners(name)) {
      try {
        const settling = settlingOf((listener as (event: unknown) => unknown).call(this.emitter, event));
        if (settling) (pending ??= []).push(settling.then(succeeded, (error: unknown) => this.heldFailed(name, event, error)));
      } catch (error) {
        this.handlerFailed(name, event, error);
        refused = true;
        break;
      }
    }
    if (pending === null || refused) {
      // The promises still pending are watched all the same: each rejection is reported, none is unhandled.
      this.conclude(name, event, decided, refused);
      return;
    }
    Promise.all(pending)
      .then((outcomes) => this.conclude(name, event, decided, outcomes.includes(false)))
      // conclude() only throws for a bug of ours; it is reported rather than left an unhandled rejection.
      .then(undefined, (error: unknown) => this.handlerFailed(name, event, error));
  }

  private heldFailed(name: WSServerEventName, event: unknown, error: unknown): false {
    this.handlerFailed(name, event, error);
    return false;
  }

  /** Runs `decided`; out-parameters that cannot be read refuse as a throwing handler does. */
  private conclude(name: WSServerEventName, event: unknown, decided: HeldDecision, refused: boolean): void {
    if (!refused) {
      try {
        decided(false);
        return;
      } catch (error) {
        this.handlerFailed(name, event, error);
      }
    }
    decided(true);
  }

  /** An engine step that must keep its place among the queued events (e.g. failing a connection). */
  dispatchAction(action: () => void): void {
    if (this.immediate || this.queue.length === 0) action();
    else this.queue.push({ fire: action });
  }

  /** DataIn; in DoEvents mode its bytes count towards the connection's backlog until it fired. */
  dispatchDataIn(owner: BacklogOwner, event: DataInEvent): void {
    if (this.emitter.listenerCount('DataIn') === 0) return;
    if (this.immediate) return this.fire('DataIn', event);
    owner.eventQueued(event.textB.length + EVENT_COST);
    this.queue.push(new QueuedDataIn(this, owner, event));
  }

  /** The Error event. */
  reportError(connectionId: number, errorCode: number, description: string): void {
    this.dispatchEvent('Error', { connectionId, errorCode, description });
  }

  /** Emits one event; a listener that throws is reported through the Error event, never through itself. */
  fire(name: WSServerEventName, event: unknown): void {
    try {
      this.emitter.emit(name, event);
    } catch (error) {
      if (name === 'Error') return;
      this.handlerFailed(name, event, error);
    }
  }

  /** A listener of `name` threw `error` (or its promise rejected with it). */
  handlerFailed(name: string, event: unknown, error: unknown): void {
    const id = typeof event === 'object' && event !== null ? ((event as { connectionId?: number }).connectionId ?? 0) : 0;
    const detail = describeThrown(error);
    // A Log handler that throws must not be told about it through Log again. (The Log event is built
    // here rather than through Logger, which sits above the dispatcher and uses it.)
    if (name !== 'Log' && this.settings.values.LogLevel >= 1) {
      this.dispatchEvent('Log', { connectionId: id, logLevel: 1, message: `The ${name} handler threw: ${detail}`, logType: 'Error' });
    }
    this.reportError(id, ErrorCode.CallbackError, `An event handler threw an exception in ${name}: ${detail}`);
  }

  /**
   * DoEvents: fires everything queued, or waits up to SelectWaitMillis for something to fire. With
   * something queued it fires at once and returns a settled promise (no promise is made per call).
   */
  doEvents(): Promise<void> {
    return this.doEventsAs(nothing, RESOLVED, rejection);
  }

  /**
   * DoEvents for a face with its own outcome values (the compat faces answer 0 or an error code): once
   * the round is done the promise resolves with what `done()` returns — or is `settled`, when the round
   * was done at once (`done()` is called all the same) — and with what `failed` makes of an error thrown
   * while firing. One promise per waiting round, none otherwise.
   */
  doEventsAs<T>(done: () => T, settled: Promise<T>, failed: (error: unknown) => T | Promise<T>): Promise<T> {
    if (this.queue.length === 0) {
      const ms = timerDelay(this.settings.values.SelectWaitMillis);
      return new Promise<T>((resolve) => {
        this.queue.waitThen(ms, () => {
          try {
            this.drain();
            resolve(done());
          } catch (error) {
            resolve(failed(error));
          }
        });
      });
    }
    try {
      this.drain();
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    done();
    return settled;
  }

  /** Fires what is queued, then writes what the handlers sent, once per connection. */
  drain(): void {
    this.flusher.beginRound();
    try {
      this.queue.drain();
    } finally {
      this.flusher.endRound();
    }
  }

  /** ProcessIdleEvents turned on: what was queued fires on the next turn. */
  switchedToImmediate(): void {
    if (this.queue.length > 0) setImmediate(() => this.drain());
  }
}

/** A queued DataIn: fires the event, then tells its connection the bytes were handed out. */
class QueuedDataIn {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly owner: BacklogOwner,
    private readonly event: DataInEvent,
  ) {}

  fire(): void {
    // Refunded first: a handler that throws must not leave the connection charged for ever.
    this.owner.eventFired(this.event.textB.length + EVENT_COST);
    this.dispatcher.fire('DataIn', this.event);
  }
}

class QueuedFire {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly name: WSServerEventName,
    private readonly event: unknown,
    private readonly decided: HeldDecision | null,
    private readonly owner: BacklogOwner | null,
  ) {}

  fire(): void {
    this.owner?.eventFired(EVENT_COST);
    if (this.decided) this.dispatcher.fireHeld(this.name, this.event, this.decided);
    else this.dispatcher.fire(this.name, this.event);
  }
}

const succeeded = (): true => true;

/**
 * The promise to wait for when a listener returned a thenable, else null. Reading `then` may throw
 * (a getter, a Proxy): that is the listener failing, and the caller treats it so.
 */
function settlingOf(returned: unknown): Promise<unknown> | null {
  if (returned === null || (typeof returned !== 'object' && typeof returned !== 'function')) return null;
  const then = (returned as { then?: unknown }).then;
  if (typeof then !== 'function') return null;
  // A thenable's then() may throw or call back more than once: a promise built on it settles once.
  return new Promise((resolve, reject) => then.call(returned, resolve, reject));
}
