import { expect } from 'chai';
import sinon from 'sinon';
import { Phase } from '../../lib/server/connection-base';
import type { DataInEvent } from '../../lib/server/events';
import { ReadClock } from '../../lib/server/read-clock';
import { ReadHold } from '../../lib/server/read-gate';
import { eventFired, eventQueued, receive, setAcceptData, tickReadClock } from '../../lib/server/reading';
import type { WSConnection } from '../../lib/server/ws-connection';
import type { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { clientFrame } from '../helpers/frames';
import { cleanup, rawConnection, track } from '../helpers/engine';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';

function texts(server: WSServer): string[] {
  const seen: string[] = [];
  server.on('DataIn', (e: DataInEvent) => seen.push(e.text));
  return seen;
}

/** Makes the connection's clock say that `ms` of this turn are used up. */
function spend(connection: WSConnection, ms: number): void {
  const clock = (connection.clock ??= new ReadClock());
  clock.startTurn(connection.engine.turns.current());
  const until = performance.now() + ms;
  while (performance.now() < until); // the time a slow handler would take
}

describe('reading', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanup();
  });

  describe('receive', () => {
    it('hands the bytes to the protocol core, which fires DataIn per message', async () => {
      const { server, port } = await startServer();
      const seen = texts(server);
      const { connection } = await rawConnection(server, port);
      receive(connection, Buffer.concat([clientFrame(1, 'one'), clientFrame(1, 'two')]));
      expect(seen).to.deep.equal(['one', 'two']);
    });

    it('what the handlers send while it runs goes to the socket in one write', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      server.on('DataIn', (e: DataInEvent) => {
        expect(server.trySend(id, `re ${e.text}`)).to.equal(0);
      });
      const writes = sinon.spy(connection.rawSocket, 'write');
      receive(connection, Buffer.concat([clientFrame(1, 'a'), clientFrame(1, 'b'), clientFrame(1, 'c')]));
      expect(writes.callCount).to.equal(1);
      const got = [];
      for (let i = 0; i < 3; i++) got.push((await client.readMessage()).data.toString());
      expect(got).to.deep.equal(['re a', 're b', 're c']);
    });

    it('starts the MaxReadTime clock only when MaxReadTime is set', async () => {
      const { server, port } = await startServer({ config: { MaxReadTime: 0 } });
      const { connection } = await rawConnection(server, port);
      receive(connection, clientFrame(1, 'x'));
      expect(connection.clock).to.equal(null);
      server.config('MaxReadTime=50');
      receive(connection, clientFrame(1, 'y'));
      expect(connection.clock).to.be.instanceOf(ReadClock);
    });
  });

  describe('setAcceptData', () => {
    it('false holds the socket and DataIn; true resumes; every message arrives once, in order', async () => {
      const { server, port } = await startServer();
      const seen = texts(server);
      const { client, connection } = await rawConnection(server, port);
      setAcceptData(connection, false);
      expect([connection.acceptData, connection.driver.gate.isHeld(ReadHold.AcceptData)]).to.deep.equal([false, true]);
      for (let i = 0; i < 5; i++) client.sendText(`m${i}`);
      await delay(50);
      expect(seen).to.deep.equal([]);
      setAcceptData(connection, true);
      expect([connection.acceptData, connection.driver.gate.reasons]).to.deep.equal([true, 0]);
      await eventually(() => seen.length === 5);
      expect(seen).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4']);
    });

    it('false from a DataIn handler keeps the rest of the chunk in the core until true', async () => {
      const { server, port } = await startServer();
      const seen: string[] = [];
      const { client, connection } = await rawConnection(server, port);
      server.on('DataIn', (e: DataInEvent) => {
        seen.push(e.text);
        if (e.text === 'stop') setAcceptData(connection, false);
      });
      client.write(Buffer.concat([clientFrame(1, 'stop'), clientFrame(1, 'later'), clientFrame(1, 'last')]));
      await eventually(() => seen.length === 1);
      await delay(50);
      expect(seen).to.deep.equal(['stop']);
      setAcceptData(connection, true);
      // The kept messages come out before setAcceptData returns.
      expect(seen).to.deep.equal(['stop', 'later', 'last']);
    });

    it('setting the value it already has changes nothing', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      const set = sinon.spy(connection.driver.gate, 'set');
      setAcceptData(connection, true);
      expect(set.called).to.equal(false);
    });

    it('false during WebSocketOpenRequest holds the first frames too', async () => {
      const { server, port } = await startServer();
      const seen = texts(server);
      server.on('WebSocketOpenRequest', (e) => setAcceptData(server.connection(e.connectionId), false));
      const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
      const client = track(await RawClient.open(port));
      const connection = server.connection((await connected).connectionId);
      client.sendText('first');
      await delay(50);
      expect(seen).to.deep.equal([]);
      setAcceptData(connection, true);
      await eventually(() => seen.length === 1);
      expect(seen).to.deep.equal(['first']);
    });
  });

  describe('eventQueued / eventFired (the DoEvents backlog)', () => {
    it('holds reading above InBufferSize × 16 and releases it at half of that', async () => {
      const { server, port } = await startServer({ config: { InBufferSize: 1024 } });
      const { connection } = await rawConnection(server, port);
      const gate = connection.driver.gate;
      eventQueued(connection, 8192);
      eventQueued(connection, 8192);
      expect([connection.queuedInput, gate.isHeld(ReadHold.Backlog)]).to.deep.equal([16384, false]);
      eventQueued(connection, 1);
      expect(gate.isHeld(ReadHold.Backlog)).to.equal(true);
      eventFired(connection, 8192);
      expect([connection.queuedInput, gate.isHeld(ReadHold.Backlog)]).to.deep.equal([8193, true]);
      eventFired(connection, 1);
      expect([connection.queuedInput, gate.isHeld(ReadHold.Backlog)]).to.deep.equal([8192, false]);
      eventFired(connection, 8192);
      expect([connection.queuedInput, connection.queuedEvents]).to.deep.equal([0, 0]);
    });

    it('holds reading above MaxQueuedEvents events, whatever they weigh, and releases it at half', async () => {
      const { server, port } = await startServer({ config: { MaxQueuedEvents: 10 } });
      const { connection } = await rawConnection(server, port);
      const gate = connection.driver.gate;
      for (let i = 0; i < 10; i++) eventQueued(connection, 1);
      expect(gate.isHeld(ReadHold.Backlog)).to.equal(false);
      eventQueued(connection, 1);
      expect([connection.queuedEvents, gate.isHeld(ReadHold.Backlog)]).to.deep.equal([11, true]);
      for (let i = 0; i < 5; i++) eventFired(connection, 1);
      expect(gate.isHeld(ReadHold.Backlog)).to.equal(true);
      eventFired(connection, 1);
      expect([connection.queuedEvents, gate.isHeld(ReadHold.Backlog)]).to.deep.equal([5, false]);
    });

    it('keeps the InBufferSize the connection was accepted with (the reference: existing connections keep theirs)', async () => {
      const { server, port } = await startServer({ config: { InBufferSize: 1024 } });
      const { connection } = await rawConnection(server, port);
      server.config('InBufferSize=100');
      eventQueued(connection, 1601);
      expect(connection.driver.gate.isHeld(ReadHold.Backlog)).to.equal(false);
      const later = await rawConnection(server, port);
      eventQueued(later.connection, 1601);
      expect(later.connection.driver.gate.isHeld(ReadHold.Backlog)).to.equal(true);
      eventFired(later.connection, 1601);
      expect([later.connection.queuedInput, later.connection.driver.gate.reasons]).to.deep.equal([0, 0]);
    });
  });

  describe('tickReadClock', () => {
    it('a connection over MaxReadTime yields for the rest of the turn, then reads again', async () => {
      const { server, port } = await startServer({ config: { MaxReadTime: 1 } });
      const { connection } = await rawConnection(server, port);
      spend(connection, 3);
      tickReadClock(connection);
      expect(connection.driver.gate.isHeld(ReadHold.Fairness)).to.equal(true);
      await eventually(() => !connection.driver.gate.isHeld(ReadHold.Fairness), 1000, 'the next turn');
      expect(connection.driver.gate.reasons).to.equal(0);
    });

    it('input kept while yielding is handed out after the turn, in order', async () => {
      const { server, port } = await startServer({ config: { MaxReadTime: 1 } });
      const seen: string[] = [];
      const { connection } = await rawConnection(server, port);
      server.on('DataIn', (e: DataInEvent) => {
        seen.push(e.text);
        if (e.text === 'slow') spend(connection, 3);
      });
      receive(connection, Buffer.concat([clientFrame(1, 'slow'), clientFrame(1, 'next'), clientFrame(1, 'end')]));
      expect(seen).to.deep.equal(['slow']);
      expect(connection.driver.gate.isHeld(ReadHold.Fairness)).to.equal(true);
      await eventually(() => seen.length === 3, 1000, 'the kept messages');
      expect(seen).to.deep.equal(['slow', 'next', 'end']);
    });

    it('does nothing without MaxReadTime, within it, or once the connection is closed', async () => {
      const { server, port } = await startServer({ config: { MaxReadTime: 0 } });
      const { client, connection } = await rawConnection(server, port);
      receive(connection, clientFrame(1, 'x'));
      tickReadClock(connection);
      expect(connection.clock).to.equal(null);
      server.config('MaxReadTime=1000');
      spend(connection, 0);
      tickReadClock(connection);
      expect(connection.driver.gate.isHeld(ReadHold.Fairness)).to.equal(false);
      client.destroy();
      await eventually(() => connection.stage === Phase.Closed);
      server.config('MaxReadTime=1');
      spend(connection, 3);
      tickReadClock(connection);
      expect(connection.driver.gate.isHeld(ReadHold.Fairness)).to.equal(false);
    });
  });
});
