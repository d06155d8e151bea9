/**
 * The promise of a PHP-style do* call. The vendor's samples call `$obj->doSendText(...)` inside an
 * event handler and go on; the natural port leaves out the `await`. A plain promise that rejects
 * would then be an unhandled rejection, which ends a Node process. So a failing call goes to
 * whoever watches its promise — `await`, `.then`, `.catch`, `Promise.all` all call `then` — and,
 * when nobody does, to the Error event instead. An awaited failure is reported once, to the caller,
 * never a second time as an Error event.
 *
 * "Nobody watches" is decided once the current job and its microtasks have run (setImmediate): a
 * promise awaited in the statement that made the call, or chained at once, counts as watched. One
 * that is stored and awaited later still rejects there, but its failure has then been reported
 * through the Error event as well.
 */

/** A promise that notes whether anyone asked for its outcome. */
class WatchedCall extends Promise<void> {
  // Derived promises (.then's result) are ordinary ones.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  watched = false;

  override then<A = void, B = never>(
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.watched = true;
    return super.then(onFulfilled, onRejected);
  }
}

const ignore = (): void => undefined;

/**
 * The promise of a call whose outcome `result` resolves with (0 or an error code): it resolves for
 * 0 and rejects with `toError(code)` otherwise; a rejection nobody watches goes to `report`.
 */
export function watchedCall<E>(result: Promise<number>, toError: (code: number) => E, report: (error: E) => void): Promise<void> {
  let settle!: (code: number) => void;
  const call = new WatchedCall((resolve, reject) => {
    settle = (code) => {
      if (code === 0) {
        resolve();
        return;
      }
      const error = toError(code);
      reject(error);
      setImmediate(() => {
        if (!call.watched) report(error);
      });
    };
  });
  // Our own handler, which does not count as watching: the rejection is never unhandled.
  Promise.prototype.then.call(call, undefined, ignore);
  void result.then(settle);
  return call;
}
