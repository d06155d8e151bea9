/**
 * MaxHandshakesPerAddress: how many connections one remote address has that are still in their
 * handshake (ConnectionRequest, TLS, the upgrade request, WebSocketOpenRequest). A client that opens
 * sockets and sends nothing holds a MaxConnections slot each until a deadline passes; this bounds how
 * many of those one address can hold at a time, so that others can still connect.
 *
 * A connection is counted from its accept until it opens (its stage says so; it is dropped from the
 * count when next looked at) or its socket closes (the acceptor removes it then). Nothing here reads a
 * socket or keeps one alive.
 */
import { Phase } from './connection-base';

/** What the count needs of a connection: where it is. */
export interface Handshaking {
  readonly stage: Phase;
}

export class HandshakeCount {
  private readonly byAddress = new Map<string, Set<Handshaking>>();

  /** Connections from `address` still in their handshake (those that opened meanwhile are forgotten). */
  count(address: string): number {
    const set = this.byAddress.get(address);
    if (!set) return 0;
    for (const connection of set) if (connection.stage >= Phase.Open) set.delete(connection);
    if (set.size === 0) this.byAddress.delete(address);
    return set.size;
  }

  add(address: string, connection: Handshaking): void {
    let set = this.byAddress.get(address);
    if (!set) this.byAddress.set(address, (set = new Set()));
    set.add(connection);
  }

  remove(address: string, connection: Handshaking): void {
    const set = this.byAddress.get(address);
    if (!set) return;
    set.delete(connection);
    if (set.size === 0) this.byAddress.delete(address);
  }

  /** Addresses with a connection counted (for specs: nothing is kept for an address that has none). */
  get addresses(): number {
    return this.byAddress.size;
  }
}
