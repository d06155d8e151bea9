/**
 * One procedural-API resource: a WSServer run with the component's own defaults for these faces
 * (ProcessIdleEvents=false: events fire from DoEvents only), the callbacks registered by event ID,
 * and the last error. Every entry point returns a code instead of throwing.
 */
import { ErrorCode, errorMessage } from '../lib/generated/api';
import { Opcode } from '../lib/protocol/constants';
import { WSServerError } from '../lib/server/errors';
import { asBuffer } from '../lib/server/send-format';
import { utf8Bytes } from '../lib/server/text-memo';
import type { WSConnection } from '../lib/server/ws-connection';
import { WSServer, type ConnectionIdLike } from '../lib/server/ws-server';
import { bytesOfString, formatCompatData } from './byte-strings';
import { failure, toFailure, type Failure } from './errors';
import { eventBinding, readBack, type EventBinding, type EventCallback } from './events';
import { describeProperty, getProperty, setProperty, type PropertyState, type PropertyValue } from './properties';

/** What a call that succeeded at once returns: one settled promise, shared (it carries no state). */
export const DONE: Promise<number> = Promise.resolve(0);

export class CompatServer {
  readonly server = new WSServer({ config: { ProcessIdleEvents: false } });
  private readonly state: PropertyState = { runtimeLicense: '' };
  private readonly listeners = new Map<number, (event: Record<string, unknown>) => unknown>();
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

  // Bound once: settling an engine promise allocates no closures per call.
  private readonly settled = (): number => this.ok();
  private readonly rejected = (error: unknown): number => this.fail(toFailure(error));

  /** The outcome of a call that failed before it started, as its promise. */
  private failedNow(error: unknown): Promise<number> {
    return Promise.resolve(this.fail(toFailure(error)));
  }

  /** The outcome of a call that succeeded at once. */
  private doneNow(): Promise<number> {
    this.ok();
    return DONE;
  }

  /** Runs an async engine method; the promise resolves with 0 or the code and never rejects. */
  runAsync(body: () => Promise<unknown>): Promise<number> {
    let started: Promise<unknown>;
    try {
      started = body();
    } catch (error) {
      return this.failedNow(error);
    }
    return started.then(this.settled, this.rejected);
  }

  /** DoEvents (the loop's hot call: no closure and at most one promise per round). */
  doEvents(): Promise<number> {
    try {
      return this.server.dispatcher.doEventsAs(this.settled, DONE, this.rejected);
    } catch (error) {
      return this.failedNow(error);
    }
  }

  // Sends. On an asynchronous connection (Timeout 0) the engine queues the message before its promise
  // is returned and that promise is already settled, so these queue it themselves (queueMessage throws
  // what sendMessage would reject with) and answer with the shared DONE: no promise, closure or
  // microtask per message. Synchronous connections (Timeout > 0) wait for room: the engine's promise.

  /** SendText: one text message (`text` as a string, UTF-8 encoded). */
  sendText(id: ConnectionIdLike, text: unknown): Promise<number> {
    let value: string;
    try {
      value = String(text);
      const connection = this.server.connection(id);
      if (connection.timeout === 0) {
        connection.queueMessage(Opcode.Text, utf8Bytes(value));
        return this.doneNow();
      }
    } catch (error) {
      return this.failedNow(error);
    }
    return this.runAsync(() => this.server.sendText(id, value));
  }

  /** SendBytes: one binary message (a string is one char per byte: 605 for a char above 0xFF). */
  sendBytes(id: ConnectionIdLike, data: Uint8Array | string): Promise<number> {
    let bytes: unknown;
    try {
      const connection = this.server.connection(id);
      bytes = typeof data === 'string' ? bytesOfString(data, 'SendBytes') : data;
      if (bytes instanceof Uint8Array && connection.timeout === 0) {
        connection.queueMessage(Opcode.Binary, asBuffer(bytes));
        return this.doneNow();
      }
    } catch (error) {
      return this.failedNow(error);
    }
    return this.runAsync(() => this.server.sendBytes(id, bytes as Uint8Array));
  }

  /**
   * Send: one message in the connection's DataFormat, strings taken as the compat faces take them
   * (formatCompatData); WSConnectionDataToSend is the same send done at once (sendDataNow).
   */
  send(id: ConnectionIdLike, data: Uint8Array | string): Promise<number> {
    let connection: WSConnection;
    let opcode: number;
    let bytes: Buffer;
    try {
      connection = this.server.connection(id);
      [opcode, bytes] = formatted(connection, data);
      if (connection.timeout === 0) {
        connection.queueMessage(opcode, bytes);
        return this.doneNow();
      }
    } catch (error) {
      return this.failedNow(error);
    }
    return this.runAsync(() => connection.sendMessage(opcode, bytes));
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
    return this.run(() => setProperty(this.server, this.state, describeProperty(id), index, value, sendDataNow));
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
    const binding = eventBinding(id);
    if (!binding) return this.fail(failure(ErrorCode.UnknownEvent));
    const info = binding.info;
    if (callback !== null && typeof callback !== 'function') {
      return this.fail(failure(ErrorCode.InvalidArgument, `${errorMessage(ErrorCode.InvalidArgument)} The callback must be a function or null.`));
    }
    const previous = this.listeners.get(info.id);
    if (previous) this.server.off(info.name, previous);
    this.listeners.delete(info.id);
    if (callback) {
      const listener = listenerFor(binding, callback);
      this.listeners.set(info.id, listener);
      this.server.on(info.name, listener);
    }
    return this.ok();
  }
}

/** The opcode and bytes of `data` for Send on `connection`; throws what formatCompatData refuses. */
function formatted(connection: WSConnection, data: unknown): [number, Buffer] {
  const [opcode, bytes] = formatCompatData(connection.dataFormat, data);
  if (bytes instanceof WSServerError) throw bytes;
  return [opcode, bytes];
}

/**
 * WSConnectionDataToSend: Send without a promise, queued now or refused with 10035 (thrown, so the set
 * answers it) — on synchronous connections too, as the engine's own setDataToSend does.
 */
function sendDataNow(_server: WSServer, connection: WSConnection, data: unknown): void {
  const [opcode, bytes] = formatted(connection, data);
  connection.setDataToSend(opcode, bytes);
}

/**
 * The engine listener that calls a compat callback: builds the params object and, for events with
 * out-parameters, reads them back once the callback is done (the rest need no second pass). A callback
 * that returns a promise (an async callback, one that awaits a do* call) is a held decision: the
 * out-parameters are read when it resolves — from the value it resolves with, if that is an object,
 * else from the params object — and the listener returns a promise of that, which the engine waits for
 * (the handshake held, its deadline running). A rejection, or a throw, refuses. The callback's result is
 * passed on for the other events too, so that an async handler whose promise rejects is caught by the
 * engine (captureRejections: the Error event, 615) instead of being an unhandled rejection.
 */
function listenerFor(binding: EventBinding, callback: EventCallback): (event: Record<string, unknown>) => unknown {
  const toParams = binding.toParams;
  if (binding.outs.length === 0) {
    return (event) => callback(toParams(event));
  }
  return (event) => {
    const params = toParams(event);
    const returned = callback(params);
    if (isThenable(returned)) return Promise.resolve(returned).then((value) => readBack(binding, event, params, value));
    readBack(binding, event, params, returned);
    return undefined;
  };
}

/** Whether a callback returned a promise (or any thenable); reading `then` may throw, which fails the callback. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
