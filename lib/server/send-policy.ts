/**
 * How a connection takes messages from the application: the asynchronous rules (Timeout 0: queue at
 * once, or fail with 10035 above OutBufferSize, arming ReadyToSend), the synchronous ones (Timeout > 0:
 * wait for room, in call order, Interrupt ending the waits), MessageLength (one message over several
 * sends), BytesSent, and pings that wait for their pong. The waits themselves are in send-wait.ts,
 * SendFile in send-file.ts.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode } from '../generated/api';
import { Opcode } from '../protocol/constants';
import { Phase, type ConnectionBase } from './connection-base';
import type { ConnectionExtras } from './connection-extras';
import { WSServerError, toServerError } from './errors';
import { countSent } from './metrics';
import { drainedNow, interruptible, onDrained, waitForRoom } from './send-wait';
import { secondsToTimer } from './timer-limit';

const RESOLVED = Promise.resolve();
const EMPTY = Buffer.alloc(0);

/**
 * Queues one message now, by the asynchronous rules: when more than OutBufferSize bytes already wait
 * for this client, or a SendFile holds the connection, it fails with 10035. All or nothing: BytesSent
 * is then 0, else the whole message. Throws synchronously.
 */
export function queueMessage(connection: ConnectionBase, opcode: number, data: Buffer): void {
  connection.assertOpen();
  if (!makeRoom(connection)) throw new WSServerError(ErrorCode.WouldBlock);
  enqueueMessage(connection, opcode, data, false);
  connection.bytesSent = data.length;
}

/**
 * The asynchronous rule: true when a message may be queued now. Else BytesSent is 0, ReadyToSend turns
 * false and the ReadyToSend event is armed for when the queue has drained.
 */
function makeRoom(connection: ConnectionBase): boolean {
  const mark = connection.outBufferSize;
  // Small sends are gathered into one write per turn; a burst beyond the mark goes to the socket now,
  // which may well take it (the kernel's buffer is not part of our queue).
  if (connection.driver.gatheredBytes > mark) connection.flush();
  const extra = connection.extra;
  if ((extra !== null && extra.sendingFile) || connection.queuedBytes > mark) {
    connection.bytesSent = 0;
    connection.readyToSend = false;
    armReadyToSend(connection);
    return false;
  }
  return true;
}

/**
 * MessageLength[cid] set by the application. A message still open in parts is ended first with an
 * empty final frame: the application has given it up (set 0, or a new length), and leaving it open
 * would fail every later send with 616 for as long as the connection lives.
 */
export function setMessageLength(connection: ConnectionBase, length: number): void {
  const core = connection.core;
  const sendingFile = connection.extra !== null && connection.extra.sendingFile;
  if (core !== null && core.sendingParts && !sendingFile && connection.canSend()) {
    core.sendPart(core.partsOpcode, EMPTY, true);
    countSent(connection, 0, true);
    connection.flush();
  }
  if (length === 0 && connection.extra === null) return;
  connection.extras().messageRemaining = length;
}

/**
 * WSConnectionDataToSend. A property set cannot wait, so on a synchronous connection (Timeout > 0) it
 * queues the message now if there is room and fails with 10035 if there is not — more than
 * OutBufferSize waits, or a synchronous send or a SendFile waits before it (a documented deviation: the
 * component would block the set). Asynchronous connections follow queueMessage. Throws synchronously.
 */
export function setDataToSend(connection: ConnectionBase, opcode: number, data: Buffer): void {
  if (connection.timeout === 0) return queueMessage(connection, opcode, data);
  connection.assertOpen();
  connection.bytesSent = 0;
  const extra = connection.extra;
  if ((extra !== null && (extra.syncPending > 0 || extra.sendingFile)) || connection.queuedBytes > connection.outBufferSize) {
    throw new WSServerError(ErrorCode.WouldBlock);
  }
  enqueueMessage(connection, opcode, data, true);
}

/**
 * trySend: queues one message if it can go now, and says how it went instead of throwing — 0, or the
 * error code. Asynchronous rules whatever Timeout is; on a synchronous connection a message never
 * overtakes synchronous sends that wait for room (10035 while any waits).
 */
export function trySendMessage(connection: ConnectionBase, opcode: number, data: Buffer): number {
  if (!connection.canSend()) return ErrorCode.ConnectionClosed;
  const synchronous = connection.timeout > 0;
  if (synchronous && connection.extra !== null && connection.extra.syncPending > 0) {
    connection.bytesSent = 0;
    return ErrorCode.WouldBlock;
  }
  if (!makeRoom(connection)) return ErrorCode.WouldBlock;
  try {
    enqueueMessage(connection, opcode, data, synchronous);
  } catch (error) {
    connection.bytesSent = 0;
    return toServerError(error).code;
  }
  connection.bytesSent = synchronous ? 0 : data.length;
  return 0;
}

/**
 * Sends one message. Asynchronous mode: as queueMessage(); the returned promise is already settled.
 * Synchronous mode: waits for room behind earlier synchronous sends, so messages keep their order;
 * when there is room and nothing waits, the message is queued before this returns.
 */
export function sendMessage(connection: ConnectionBase, opcode: number, data: Buffer): Promise<void> {
  if (connection.timeout === 0) {
    try {
      queueMessage(connection, opcode, data);
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }
  connection.bytesSent = 0;
  const extra = connection.extra;
  const waiting = extra !== null && (extra.syncPending > 0 || extra.sendingFile);
  if (!waiting && connection.queuedBytes <= connection.outBufferSize) {
    try {
      connection.assertOpen();
      enqueueMessage(connection, opcode, data, true);
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return sendWhenRoom(connection, opcode, data);
}

/** A synchronous send that waits for room, behind the synchronous sends already waiting. */
function sendWhenRoom(connection: ConnectionBase, opcode: number, data: Buffer): Promise<void> {
  const extra = connection.extras();
  const epoch = extra.interruptEpoch;
  const seconds = connection.timeout;
  const calledAt = performance.now();
  extra.syncPending++;
  const result = (extra.syncTail ?? RESOLVED)
    .then(async () => {
      // Interrupt ends every synchronous send that was waiting when it was called.
      if (epoch !== extra.interruptEpoch) throw new WSServerError(ErrorCode.Interrupted);
      await waitForRoom(connection, seconds, false, calledAt);
      enqueueMessage(connection, opcode, data, true);
    })
    .finally(() => {
      // The last one out leaves no chain behind.
      if (--extra.syncPending === 0) extra.syncTail = null;
    });
  extra.syncTail = result.then(noop, noop);
  return result;
}

function enqueueMessage(connection: ConnectionBase, opcode: number, data: Buffer, synchronous: boolean): void {
  const core = connection.core!;
  if (opcode === Opcode.Ping) return core.ping(data);
  if (opcode === Opcode.Pong) return core.pong(data);
  const extra = connection.extra;
  if (!synchronous && extra !== null && extra.messageRemaining > 0) {
    // MessageLength: the next N bytes, over several sends, form one message.
    if (data.length > extra.messageRemaining) {
      throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. The data exceeds the ${extra.messageRemaining} bytes left of MessageLength.`);
    }
    if (core.sendingParts && core.partsOpcode !== opcode) {
      throw new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. All parts of a MessageLength message must have the same format.');
    }
    extra.messageRemaining -= data.length;
    core.sendPart(opcode, data, extra.messageRemaining === 0);
    countSent(connection, data.length, extra.messageRemaining === 0);
    return;
  }
  if (core.sendingParts) {
    throw new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. A message sent in parts (MessageLength) is still unfinished.');
  }
  core.send(opcode, data);
  countSent(connection, data.length, true);
}

// ─── ReadyToSend ──────────────────────────────────────────────────────────────────────────────

/** Fires ReadyToSend once everything queued has been handed to the OS (compressions included). */
function armReadyToSend(connection: ConnectionBase): void {
  const extra = connection.extras();
  if (extra.drainArmed) return;
  extra.drainArmed = true;
  // Never before the failed send has returned: the caller must see its 10035 first.
  setImmediate(readyWhenDrained, connection);
}

/** The ReadyToSend wait: until the socket has taken everything and no compression is left. */
function readyWhenDrained(connection: ConnectionBase): void {
  const socket = connection.rawSocket;
  const extra = connection.extras();
  if (connection.phase !== Phase.Open || socket.destroyed) {
    extra.drainArmed = false;
    return;
  }
  connection.flush();
  if (socket.writableLength > 0 && !socket.writableEnded) return onDrained(connection, readyWhenDrained.bind(null, connection));
  // Frames still being compressed come back through I/O: look again on the next turn, never in a spin.
  if (connection.core && connection.core.queuedOutputBytes > 0) return void setImmediate(readyWhenDrained, connection);
  extra.drainArmed = false;
  connection.readyToSend = true;
  connection.engine.dispatcher.dispatchEvent('ReadyToSend', { connectionId: connection.connectionId });
}

// ─── Waits: Interrupt, pings, the close ───────────────────────────────────────────────────────

/** The connection closed: every wait ends with 614. */
export function rejectWaiters(extra: ConnectionExtras): void {
  const interrupted = extra.interrupted;
  const pings = extra.pings;
  extra.interrupted = null;
  extra.pings = null;
  const error = interrupted || pings ? new WSServerError(ErrorCode.ConnectionClosed) : null;
  if (interrupted) for (const waiter of [...interrupted]) waiter.reject(error!);
  drainedNow(extra);
  if (pings) for (const waiter of pings.values()) waiter.reject(error!);
}

/**
 * Interrupt: ends a synchronous send that waits for room (610), and a SendFile, which then finishes its
 * message early with an empty final frame. The connection stays open.
 */
export function interrupt(connection: ConnectionBase): void {
  const extra = connection.extras();
  if (extra.sendingFile) extra.fileInterrupted = true;
  extra.interruptEpoch++;
  const interrupted = extra.interrupted;
  if (!interrupted) return;
  const error = new WSServerError(ErrorCode.Interrupted);
  for (const waiter of [...interrupted]) waiter.reject(error);
}

/**
 * Sends a ping. With Timeout 0 it resolves once the ping is queued (the pong shows up as a Ping event);
 * with a positive Timeout it resolves when the matching pong arrives, or fails with 609 after Timeout
 * seconds.
 */
export async function ping(connection: ConnectionBase): Promise<void> {
  connection.assertOpen();
  const extra = connection.extras();
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(++extra.pingCounter >>> 0);
  connection.core!.ping(payload);
  const seconds = connection.timeout;
  if (seconds === 0) return;
  const key = payload.toString('hex');
  let timer: NodeJS.Timeout | undefined;
  const pong = new Promise<void>((resolve, reject) => {
    timer = setTimeout(reject, secondsToTimer(seconds), new WSServerError(ErrorCode.Timeout));
    (extra.pings ??= new Map()).set(key, { resolve, reject });
  });
  try {
    await interruptible(connection, pong);
  } finally {
    clearTimeout(timer);
    extra.pings?.delete(key);
  }
}

/** A pong arrived: the ping waiting for this payload, if any, is answered. */
export function pongReceived(connection: ConnectionBase, payload: Buffer): void {
  const pings = connection.extra ? connection.extra.pings : null;
  if (!pings) return;
  const key = payload.toString('hex');
  const waiter = pings.get(key);
  if (waiter) {
    pings.delete(key);
    waiter.resolve();
  }
}

function noop(): void {}
