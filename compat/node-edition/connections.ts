/**
 * getConnections(): the reference's per-connection arrays (WSConnection*[ConnectionId]) as one
 * collection, as the vendor's editions show them — `getConnections().item(id).getRemoteHost()` in the
 * Node samples, a map of WSConnection objects in Java and .NET. It is a live view of the engine's
 * registry: it holds no copy, so a connection appears from TCP accept and is gone once closed.
 * Iterating it gives [connectionId, connection] pairs, as a Map does.
 */
import type { ConnectionIdLike } from '../../lib/server/registry';
import type { WSConnection as EngineConnection } from '../../lib/server/ws-connection';
import type { WSServer } from '../../lib/server/ws-server';

export class WSConnectionMap<C> implements Iterable<[number, C]> {
  /** One item per engine connection, so that item(id) === item(id); dropped with the connection. */
  private readonly items = new WeakMap<EngineConnection, C>();

  /** @internal */
  constructor(
    private readonly server: WSServer,
    private readonly make: (connectionId: number) => C,
  ) {}

  /** The connection with this ConnectionId (a number or its decimal string); 126 (Invalid ConnectionId) if there is none. */
  item(connectionId: ConnectionIdLike): C {
    return this.wrap(this.server.connection(connectionId));
  }

  /** The connection with this ConnectionId, or undefined (Map semantics). */
  get(connectionId: ConnectionIdLike): C | undefined {
    const found = this.server.registry.find(connectionId);
    return found ? this.wrap(found) : undefined;
  }

  has(connectionId: ConnectionIdLike): boolean {
    return this.server.registry.find(connectionId) !== undefined;
  }

  /** WSConnectionCount: how many connections there are. */
  get count(): number {
    return this.server.wsConnectionCount;
  }

  /** The same as count, as on a Map. */
  get size(): number {
    return this.server.wsConnectionCount;
  }

  /** The ConnectionIds, in the order the connections arrived. */
  ids(): number[] {
    return [...this.server.connections.keys()];
  }

  *keys(): IterableIterator<number> {
    yield* this.server.connections.keys();
  }

  *values(): IterableIterator<C> {
    for (const connection of this.server.connections.values()) yield this.wrap(connection);
  }

  *entries(): IterableIterator<[number, C]> {
    for (const connection of this.server.connections.values()) yield [connection.connectionId, this.wrap(connection)];
  }

  [Symbol.iterator](): IterableIterator<[number, C]> {
    return this.entries();
  }

  forEach(callback: (connection: C, connectionId: number, map: this) => void): void {
    for (const [id, connection] of this.entries()) callback(connection, id, this);
  }

  private wrap(connection: EngineConnection): C {
    let item = this.items.get(connection);
    if (item === undefined) this.items.set(connection, (item = this.make(connection.connectionId)));
    return item;
  }
}
