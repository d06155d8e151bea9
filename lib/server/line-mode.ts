/**
 * Line mode (ChangeLineMode): DataIn per line instead of per message piece. Each line is held until
 * what follows shows whether it ends the message, so that `eom` can be told: the next line, a partial
 * line, or the message's last frame — which may come empty after a frame that ended on a line end, so
 * a line that ends a piece waits for the next piece. Switching line mode off, and the connection's end,
 * hand out what was gathered. The splitting itself is in line-splitter.ts.
 */
import { ErrorCode } from '../generated/api';
import type { ConnectionBase } from './connection-base';
import { WSServerError } from './errors';
import { DataInEvent } from './events';
import { LineSplitter } from './line-splitter';

/** WSConnectionLineMode. */
export function inLineMode(connection: ConnectionBase): boolean {
  return connection.extra !== null && connection.extra.lineSplitter !== null;
}

/** ChangeLineMode. Switching off hands out what was gathered (eol false). */
export function changeLineMode(connection: ConnectionBase, on: boolean): void {
  if (on) {
    const extra = connection.extras();
    extra.lineSplitter ??= new LineSplitter(connection.maxLineLength);
    extra.emitLine ??= (line, eol) => holdLine(connection, line, eol);
    return;
  }
  const extra = connection.extra;
  const splitter = extra ? extra.lineSplitter : null;
  if (extra && splitter) {
    extra.lineSplitter = null;
    splitter.flush(extra.emitLine!);
    releaseLine(connection, false);
  }
}

/** MaxLineLength[cid]: 112 while a line is being gathered. */
export function setMaxLineLength(connection: ConnectionBase, value: number): void {
  const splitter = connection.extra ? connection.extra.lineSplitter : null;
  if (splitter && splitter.pending > 0) throw new WSServerError(ErrorCode.MaxLineLengthWhileConnected);
  connection.maxLineLength = value;
  if (splitter) splitter.maxLineLength = value;
}

/** A piece of message data in line mode; `last` ends the message. */
export function receiveLines(connection: ConnectionBase, splitter: LineSplitter, data: Buffer, last: boolean): void {
  splitter.push(data, connection.extra!.emitLine!);
  if (last) releaseLine(connection, splitter.pending === 0);
  else if (splitter.pending > 0) releaseLine(connection, false);
  // Else the held line ended this piece exactly: only the next piece can tell whether it ends the message.
}

/** The connection ended inside a message: a line still held goes out, without eom. */
export function releaseHeldLine(connection: ConnectionBase): void {
  releaseLine(connection, false);
}

function holdLine(connection: ConnectionBase, line: Buffer, eol: boolean): void {
  releaseLine(connection, false);
  const extra = connection.extras();
  extra.heldLine = line;
  extra.heldEol = eol;
}

function releaseLine(connection: ConnectionBase, eom: boolean): void {
  const extra = connection.extra;
  const line = extra?.heldLine;
  if (!extra || !line) return;
  extra.heldLine = null;
  connection.engine.dispatcher.dispatchDataIn(connection, new DataInEvent(connection.connectionId, 0, line, eom, extra.heldEol, true));
}
