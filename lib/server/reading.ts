/**
 * Input of an open connection: bytes from the socket into the protocol core, and the reasons to stop
 * reading that belong to the application and to fairness — AcceptData (PauseData/ProcessData), the
 * DoEvents backlog (bytes and events) and MaxReadTime. Each sets its own reason in the read gate; the core is suspended
 * as well where input it already has must not be handed out (AcceptData, MaxReadTime), and resumed
 * before the socket is, so that what it kept comes first.
 */
import { Phase, type ConnectionBase } from './connection-base';
import { ReadClock } from './read-clock';
import { ReadHold } from './read-gate';

/** Bytes from the client for the protocol core; what the handlers send meanwhile goes out in one batch. */
export function receive(connection: ConnectionBase, chunk: Buffer): void {
  connection.engine.logger.logIncoming(connection.connectionId, chunk);
  startReadTurn(connection);
  const driver = connection.driver;
  const outer = driver.beginBatch();
  connection.core!.receiveData(chunk);
  driver.endBatch(outer);
  tickReadClock(connection);
}

/** WSConnectionAcceptData: false stops reading and DataIn; true resumes. Nothing is lost. */
export function setAcceptData(connection: ConnectionBase, value: boolean): void {
  if (value === connection.acceptDataValue) return;
  connection.acceptDataValue = value;
  connection.driver.gate.set(ReadHold.AcceptData, !value);
  applyInputHold(connection);
}

/**
 * Suspends or resumes the core's hand-out of input it already has: held while AcceptData is false, the
 * DoEvents backlog is full (so the rest of a chunk of tiny frames does not queue thousands of events)
 * or the connection yields its turn (MaxReadTime); resuming hands out the kept input first, in order.
 */
function applyInputHold(connection: ConnectionBase): void {
  const core = connection.core;
  const gate = connection.driver.gate;
  if (!connection.acceptDataValue || gate.isHeld(ReadHold.Fairness) || gate.isHeld(ReadHold.Backlog)) {
    core?.suspend();
    return;
  }
  if (!core) return;
  startReadTurn(connection);
  const driver = connection.driver;
  const outer = driver.beginBatch();
  core.unsuspend();
  driver.endBatch(outer);
}

// ─── The DoEvents backlog ─────────────────────────────────────────────────────────────────────

/** Bytes of queued events (payload + EVENT_COST each) above which a connection stops being read. */
function backlogBytes(connection: ConnectionBase): number {
  return connection.inBufferSize * 16;
}

/** Queued events above which a connection stops being read (MaxQueuedEvents; 0: no count limit). */
function backlogEvents(connection: ConnectionBase): number {
  const limit = connection.engine.settings.values.MaxQueuedEvents;
  return limit > 0 ? limit : Number.POSITIVE_INFINITY;
}

/**
 * DoEvents mode: an event was queued on this connection's behalf. Too many, or too many bytes, stop
 * reading until DoEvents catches up: what a peer can make the queue hold is bounded by both.
 */
export function eventQueued(connection: ConnectionBase, cost: number): void {
  connection.queuedInput += cost;
  connection.queuedEvents++;
  const gate = connection.driver.gate;
  if (gate.isHeld(ReadHold.Backlog)) return;
  if (connection.queuedInput > backlogBytes(connection) || connection.queuedEvents > backlogEvents(connection)) {
    gate.hold(ReadHold.Backlog);
    connection.engine.metrics.backlogHolds++;
    connection.core?.suspend();
  }
}

/** A queued event fired: reading goes on once the backlog is down to half its limits. */
export function eventFired(connection: ConnectionBase, cost: number): void {
  connection.queuedInput -= cost;
  connection.queuedEvents--;
  const gate = connection.driver.gate;
  if (!gate.isHeld(ReadHold.Backlog)) return;
  if (connection.queuedInput <= backlogBytes(connection) / 2 && connection.queuedEvents <= backlogEvents(connection) / 2) {
    gate.release(ReadHold.Backlog);
    const phase = connection.phase;
    if (phase === Phase.Open || phase === Phase.Closing) applyInputHold(connection);
  }
}

// ─── MaxReadTime ──────────────────────────────────────────────────────────────────────────────

/** Notes when this connection started reading in the current event-loop turn. */
function startReadTurn(connection: ConnectionBase): void {
  if (connection.engine.settings.values.MaxReadTime <= 0) return;
  (connection.clock ??= new ReadClock()).startTurn(connection.engine.turns.current());
}

/**
 * Called per message and per chunk: a connection that has been handled for longer than MaxReadTime in
 * this turn yields — even in the middle of a chunk — until the next turn (see read-clock.ts).
 */
export function tickReadClock(connection: ConnectionBase): void {
  const clock = connection.clock;
  if (clock === null) return;
  if (!clock.tick(connection.engine.settings.values.MaxReadTime)) return;
  const gate = connection.driver.gate;
  if (gate.isHeld(ReadHold.Fairness)) return;
  const phase = connection.phase;
  if (phase !== Phase.Open && phase !== Phase.Closing) return;
  gate.hold(ReadHold.Fairness);
  applyInputHold(connection);
  setImmediate(endYield, connection);
}

/** The turn given up by tickReadClock() is over: go on with what was kept. */
function endYield(connection: ConnectionBase): void {
  connection.driver.gate.release(ReadHold.Fairness);
  connection.clock?.endTurn();
  const phase = connection.phase;
  if (phase === Phase.Open || phase === Phase.Closing) applyInputHold(connection);
}
