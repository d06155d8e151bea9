import { expect } from 'chai';
import { Phase } from '../../lib/server/connection-base';
import { WSServerError } from '../../lib/server/errors';
import { ConnectionRegistry } from '../../lib/server/registry';
import type { WSConnection } from '../../lib/server/ws-connection';

/** What the registry reads of a connection. */
function fakeConnection(connectionId: number, stage: number = Phase.Open): WSConnection {
  return { connectionId, stage } as { connectionId: number; stage: number } as any;
}

/** A registry holding connections with the next `count` ids. */
function filled(count: number): { registry: ConnectionRegistry; connections: WSConnection[] } {
  const registry = new ConnectionRegistry();
  const connections: WSConnection[] = [];
  for (let i = 0; i < count; i++) {
    const connection = fakeConnection(registry.nextId());
    registry.add(connection);
    connections.push(connection);
  }
  return { registry, connections };
}

describe('ConnectionRegistry', () => {
  it('hands out ids 1, 2, 3 … in order', () => {
    const registry = new ConnectionRegistry();
    expect([registry.nextId(), registry.nextId(), registry.nextId()]).to.deep.equal([1, 2, 3]);
  });

  it('never reuses an id, even once every connection is gone', () => {
    const { registry, connections } = filled(3);
    for (const connection of connections) registry.delete(connection.connectionId);
    expect(registry.size).to.equal(0);
    expect(registry.nextId()).to.equal(4);
    expect(registry.find(1)).to.equal(undefined);
  });

  it('keeps the registries of two servers apart', () => {
    const a = new ConnectionRegistry();
    const b = new ConnectionRegistry();
    a.nextId();
    a.nextId();
    expect(b.nextId()).to.equal(1);
  });

  it('counts, lists and deletes connections', () => {
    const { registry, connections } = filled(3);
    expect(registry.size).to.equal(3);
    expect([...registry.values()]).to.deep.equal(connections);
    registry.delete(2);
    expect(registry.size).to.equal(2);
    expect([...registry.values()].map((c) => c.connectionId)).to.deep.equal([1, 3]);
    registry.delete(99); // unknown: nothing happens
    expect(registry.size).to.equal(2);
  });

  describe('find', () => {
    it('finds a connection by its number', () => {
      const { registry, connections } = filled(3);
      expect(registry.find(2)).to.equal(connections[1]);
    });

    it('finds a connection by its decimal string form, spaces around it allowed', () => {
      const { registry, connections } = filled(12);
      expect(registry.find('2')).to.equal(connections[1]);
      expect(registry.find('  12 ')).to.equal(connections[11]);
      expect(registry.find('\t3\n')).to.equal(connections[2]);
      expect(registry.find('007')).to.equal(connections[6]);
    });

    it('finds nothing for junk, signs, fractions, hex or an unknown id', () => {
      const { registry } = filled(3);
      for (const junk of ['', ' ', 'abc', '2abc', '1 2', '+2', '-1', '2.0', '0x2', '2e0', 'NaN']) {
        expect(registry.find(junk), JSON.stringify(junk)).to.equal(undefined);
      }
      for (const junk of [0, -1, 2.5, NaN, Infinity, 4]) {
        expect(registry.find(junk), String(junk)).to.equal(undefined);
      }
    });

    it('does not find a connection whose stage is Closed', () => {
      const registry = new ConnectionRegistry();
      const closed = fakeConnection(registry.nextId(), Phase.Closed);
      registry.add(closed);
      expect(Phase.Closed).to.equal(5);
      expect(registry.find(closed.connectionId)).to.equal(undefined);
      expect(registry.size, 'still registered').to.equal(1);
    });

    it('finds a connection in every stage before Closed, and stops finding it once it closes', () => {
      const registry = new ConnectionRegistry();
      const connection = fakeConnection(registry.nextId(), Phase.Requested);
      registry.add(connection);
      for (const stage of [Phase.Requested, Phase.Handshake, Phase.Opening, Phase.Open, Phase.Closing]) {
        (connection as { stage: number }).stage = stage;
        expect(registry.find(1), `stage ${stage}`).to.equal(connection);
      }
      (connection as { stage: number }).stage = Phase.Closed;
      expect(registry.find(1)).to.equal(undefined);
    });
  });

  describe('get', () => {
    it('returns the connection', () => {
      const { registry, connections } = filled(2);
      expect(registry.get(1)).to.equal(connections[0]);
      expect(registry.get(' 2 ')).to.equal(connections[1]);
    });

    it('throws WSServerError 126 (Invalid ConnectionId) when find finds nothing', () => {
      const registry = new ConnectionRegistry();
      registry.add(fakeConnection(registry.nextId(), Phase.Closed));
      for (const id of [1, 2, 'junk', '']) {
        let thrown: unknown;
        try {
          registry.get(id);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, String(id)).to.be.instanceOf(WSServerError);
        expect((thrown as WSServerError).code).to.equal(126);
        expect((thrown as WSServerError).message).to.match(/connection/i);
      }
    });
  });
});
