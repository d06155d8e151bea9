/**
 * One procedural-API resource: a WSServer run with the component's own defaults for these faces
 * (ProcessIdleEvents=false: events fire from DoEvents only), the callbacks registered by event ID,
 * and the last error. Every entry point returns a code instead of throwing.
 */
import { ErrorCode, errorMessage, type EventInfo } from '../lib/generated/api';
import { WSServer } from '../lib/server/ws-server';
import { failure, toFailure, type Failure } from './errors';
import { eventInfo, readBack, toParams, type EventCallback } from './events';
import { describeProperty, getProperty, setProperty, type PropertyState, type PropertyValue } from './properties';

export class CompatServer {
  readonly server = new WSServer({ config: { ProcessIdleEvents: false } });
  private readonly state: PropertyState = { runtimeLicense: '' };
  private readonly listeners = new Map<number, (event: Record<string, unknown>) => void>();
  lastErrorCode = 0;
  lastError = '';

  /** Records the outcome of a call: 0 and '' on success. */
  private ok(): 0 {
    this.lastErrorCode = 0;
    this.lastError = '';
    return 0;
  }

  fail(problem: Failure): number {
    this.lastErrorCode = problem.code;
    this.lastError = problem.message;
    return problem.code;
  }

  /** Runs `body`, turning a throw into the last error; returns 0 or the code. */
  run(body: () => void): number {
    try {
      body();
      return this.ok();
    } catch (error) {
      return this.fail(toFailure(error));
    }
  }

  /** Runs an async engine method; the promise resolves with 0 or the code and never rejects. */
  runAsync(body: () => Promise<unknown>): Promise<number> {
    let started: Promise<unknown>;
    try {
      started = body();
    } catch (error) {
      return Promise.resolve(this.fail(toFailure(error)));
    }
    return started.then(
      () => this.ok(),
      (error) => this.fail(toFailure(error)),
    );
  }

  get(id: unknown, index?: unknown): PropertyValue | false {
    try {
      const value = getProperty(this.server, this.state, describeProperty(id), index);
      this.ok();
      return value;
    } catch (error) {
      this.fail(toFailure(error));
      return false;
    }
  }

  set(id: unknown, index: unknown, value: unknown): number {
    return this.run(() => setProperty(this.server, this.state, describeProperty(id), index, value));
  }

  config(text: unknown): string {
    try {
      const result = this.server.config(String(text));
      this.ok();
      return result;
    } catch (error) {
      this.fail(toFailure(error));
      return '';
    }
  }

  /** Registers `callback` for event `id` (1–12); null unregisters. */
  registerCallback(id: unknown, callback: EventCallback | null): number {
    const info = eventInfo(id);
    if (!info) return this.fail(failure(ErrorCode.UnknownEvent));
    if (callback !== null && typeof callback !== 'function') {
      return this.fail(failure(ErrorCode.InvalidArgument, `${errorMessage(ErrorCode.InvalidArgument)} The callback must be a function or null.`));
    }
    const previous = this.listeners.get(info.id);
    if (previous) this.server.off(info.name, previous);
    this.listeners.delete(info.id);
    if (callback) {
      const listener = (event: Record<string, unknown>) => deliver(info, event, callback);
      this.listeners.set(info.id, listener);
      this.server.on(info.name, listener);
    }
    return this.ok();
  }
}

/** Calls a compat callback for an engine event and reads its out-parameters back. */
function deliver(info: EventInfo, event: Record<string, unknown>, callback: EventCallback): void {
  const params = toParams(info, event);
  const returned = callback(params);
  readBack(info, event, params, returned);
}
