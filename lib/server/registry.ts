/**
 * The connections of a server by ConnectionId: positive integers handed out in order and never reused
 * during the server's life (so a stale id finds nothing rather than someone else). Every API accepts an
 * id as a number or its decimal string form; a connection whose socket is gone is not found (126).
 */
import { ErrorCode } from '../generated/api';
import { Phase } from './connection-base';
import { WSServerError } from './errors';
import type { WSConnection } from './ws-connection';

/** A connection id as the API accepts it: a positive integer, or its decimal string form. */
export type ConnectionIdLike = number | string;

export class ConnectionRegistry {
  readonly byId = new Map<number, WSConnection>();
  private lastId = 0;

  get size(): number {
    return this.byId.size;
  }

  /** The id the next connection gets. */
  nextId(): number {
    return ++this.lastId;
  }

  add(connection: WSConnection): void {
    this.byId.set(connection.connectionId, connection);
  }

  delete(connectionId: number): void {
    this.byId.delete(connectionId);
  }

  values(): IterableIterator<WSConnection> {
    return this.byId.values();
  }

  /** The connection with this id, or undefined. */
  find(id: ConnectionIdLike): WSConnection | undefined {
    const key = typeof id === 'number' ? id : /^\s*\d+\s*$/.test(String(id)) ? Number(id) : NaN;
    const connection = this.byId.get(key);
    return connection && connection.stage !== Phase.Closed ? connection : undefined;
  }

  /** The connection with this id, or 126 (Invalid ConnectionId). */
  get(id: ConnectionIdLike): WSConnection {
    const connection = this.find(id);
    if (!connection) throw new WSServerError(ErrorCode.InvalidConnectionId);
    return connection;
  }
}
