/**
 * The waits of a connection's sends: until the socket has handed everything written so far to the OS
 * (drain waiters, one empty write for all of them), until there is room in the client's queue (synchronous
 * sends and SendFile), and races against Interrupt (610) and the connection closing (614). The state lives
 * with the connection's rarely used state; the connection ends the waits when it closes or is interrupted.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../generated/api';
import { WSServerError } from './errors';
import type { ConnectionBase } from './connection-base';
import type { WaitState, Waiter } from './connection-extras';

export type { WaitState, Waiter } from './connection-extras';

/** While a send waits for room, how often it looks at the queue (it also wakes when the queue drains). */
const POLL_MS = 20;
const EMPTY = Buffer.alloc(0);

/**
 * Calls `callback` once everything written so far has been handed to the OS, or when the connection
 * closes. One empty write marks the spot for every waiter.
 */
export function onDrained(connection: ConnectionBase, callback: () => void): void {
  connection.flush();
  const socket = connection.rawSocket;
  if (socket.writableLength === 0 || socket.writableEnded || socket.destroyed) {
    // Nothing to wait for; a later turn (not a tick) so that no caller can spin without I/O.
    setImmediate(callback);
    return;
  }
  const state = connection.waitState();
  (state.drainWaiters ??= []).push(callback);
  if (state.drainWaitersArmed) return;
  state.drainWaitersArmed = true;
  socket.write(EMPTY, () => drainedNow(state));
}

/** The socket took everything (or the connection closed): calls every drain waiter. */
export function drainedNow(state: WaitState): void {
  state.drainWaitersArmed = false;
  const waiters = state.drainWaiters;
  state.drainWaiters = null;
  if (waiters) for (const waiter of waiters) waiter();
}

/**
 * Resolves after `ms`, or sooner when a queue that is not empty drains. (With nothing queued it always
 * waits: resolving at once would let a waiting loop spin without ever giving I/O a turn.)
 */
function waitForOutput(connection: ConnectionBase, ms: number): Promise<void> {
  const state = connection.waitState();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const waiters = state.drainWaiters;
      const at = waiters ? waiters.indexOf(done) : -1;
      if (at !== -1) waiters!.splice(at, 1);
      resolve();
    }, ms);
    connection.flush();
    const socket = connection.rawSocket;
    if (socket.writableLength > 0 && !socket.writableEnded && !socket.destroyed) onDrained(connection, done);
  });
}

/**
 * Whether bytes moved since `mark` was taken (and takes a new mark): bytes read from the client, or
 * written towards it. The reference's timeouts are inactivity timeouts, "extended … when any amount of
 * data is successfully sent or received". Node reports a write as done only when all of it is out, so
 * libuv's own queue size (kept on the socket's handle) shows the progress within a large write.
 */
function moved(socket: Socket, mark: number[]): boolean {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle;
  const inLibuv = typeof handle?.writeQueueSize === 'number' ? handle.writeQueueSize : 0;
  const now = [socket.bytesRead, socket.writableLength, inLibuv];
  let changed = false;
  for (let i = 0; i < now.length; i++) {
    if (mark[i] !== now[i]) changed = true;
    mark[i] = now[i]!;
  }
  return changed;
}

/**
 * Waits until no more than OutBufferSize bytes wait for this client and (unless `forFile`) no SendFile
 * holds the connection. `seconds` is an inactivity limit (0: none) counted from `calledAt`, the moment
 * the send was made — not from when its turn came behind other waiting sends — and started again
 * whenever bytes move (see moved()); when it runs out the wait fails with 609. So a send queued behind
 * others on a client that reads nothing fails `seconds` after its own call. Interrupt ends it with 610,
 * the connection closing with 614.
 */
export async function waitForRoom(connection: ConnectionBase, seconds: number, forFile: boolean, calledAt = performance.now()): Promise<void> {
  const limit = seconds * 1000;
  const state = connection.waitState();
  const mark: number[] = [];
  moved(connection.rawSocket, mark);
  for (;;) {
    connection.assertOpen();
    if ((forFile || !connection.fileState().sendingFile) && connection.queuedBytes <= connection.outBufferSize) return;
    let wait = POLL_MS;
    if (limit > 0) {
      // Progress seen by any wait of this connection counts for all of them.
      const left = limit - (performance.now() - Math.max(calledAt, state.progressAt));
      if (left <= 0) throw new WSServerError(ErrorCode.Timeout);
      wait = Math.min(wait, Math.ceil(left));
    }
    await interruptible(connection, waitForOutput(connection, wait));
    if (moved(connection.rawSocket, mark)) state.progressAt = performance.now();
  }
}

/** Races `promise` against Interrupt (610) and the connection closing (614). */
export function interruptible<T>(connection: ConnectionBase, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiters = (connection.waitState().interrupted ??= new Set());
    const waiter: Waiter = {
      resolve: noop,
      reject: (error) => {
        waiters.delete(waiter);
        reject(error);
      },
    };
    waiters.add(waiter);
    promise.then(
      (value) => {
        waiters.delete(waiter);
        resolve(value);
      },
      (error: Error) => waiter.reject(error),
    );
  });
}

function noop(): void {}
