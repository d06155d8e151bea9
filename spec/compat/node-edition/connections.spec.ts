/**
 * getConnections(): the per-connection arrays as a live collection of WSConnection items, over real
 * sockets with two clients: lookup (item, get, has), counting, ids and iteration, item identity, the
 * items' getters and setters, and what is left once a client has gone.
 */
import { expect } from 'chai';
import type WebSocket from 'ws';
import { WSConnection, WSServerError, type wsserver } from '../../../compat/node-edition/index';
import { closeClient, connect, eventually, makeServer, replies, stopAll } from './helpers';

describe('node edition connections', () => {
  let s: wsserver;
  let clients: WebSocket[];
  let ids: number[];

  beforeEach(async () => {
    s = makeServer();
    ids = [];
    s.on('Connected', (e) => void ids.push(e.connectionId));
    await s.startListening();
    clients = [await connect(s.getLocalPort(), { path: '/one' }), await connect(s.getLocalPort(), { path: '/two?x=1' })];
    await eventually(() => ids.length === 2, 'two Connected events');
  });

  afterEach(async () => {
    await Promise.all(clients.map(closeClient));
    await stopAll();
  });

  it('counts the connections and lists their ids in arrival order (count, size, ids, keys)', () => {
    const connections = s.getConnections();
    expect(connections).to.equal(s.getConnections());
    expect(connections.count).to.equal(2);
    expect(connections.size).to.equal(2);
    expect(connections.ids()).to.deep.equal(ids);
    expect([...connections.keys()]).to.deep.equal(ids);
  });

  it('finds a connection by id as a number or a string; item() throws 126 for an unknown id, get() gives undefined', () => {
    const connections = s.getConnections();
    const [first] = ids as [number];
    expect(connections.item(first)).to.be.instanceOf(WSConnection);
    expect(connections.item(String(first))).to.equal(connections.item(first));
    expect(connections.get(first)).to.equal(connections.item(first));
    expect(connections.has(first)).to.equal(true);
    expect(connections.get(999)).to.equal(undefined);
    expect(connections.has(999)).to.equal(false);
    let caught: unknown;
    try {
      connections.item(999);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(WSServerError);
    expect((caught as WSServerError).code).to.equal(126);
  });

  it('iterates as a Map does: [id, connection] pairs, values(), entries() and forEach', () => {
    const connections = s.getConnections();
    const pairs = [...connections].map(([id, c]) => [id, c.getRequestURI()]);
    expect(pairs).to.deep.equal([
      [ids[0], '/one'],
      [ids[1], '/two?x=1'],
    ]);
    expect([...connections.entries()].map(([id]) => id)).to.deep.equal(ids);
    expect([...connections.values()]).to.deep.equal(ids.map((id) => connections.item(id)));
    const seen: Array<[number, boolean]> = [];
    connections.forEach((c, id, map) => seen.push([id, map === connections && c === connections.item(id)]));
    expect(seen).to.deep.equal(ids.map((id) => [id, true]));
  });

  it('reads each connection’s WSConnection* values through its getters', () => {
    const c = s.getConnections().item(ids[1]!);
    expect(c.getConnectionId()).to.equal(String(ids[1]));
    expect(c.getRemoteHost()).to.equal('127.0.0.1');
    expect(c.getRemotePort()).to.equal((clients[1] as unknown as { _socket: { localPort: number } })._socket.localPort);
    expect(c.getLocalAddress()).to.equal('127.0.0.1');
    expect(c.getHost()).to.equal(`127.0.0.1:${s.getLocalPort()}`);
    expect(c.getRequestURI()).to.equal('/two?x=1');
    expect(c.getConnected()).to.equal(true);
    expect(c.getLineMode()).to.equal(false);
    expect(c.getAcceptData()).to.equal(true);
    expect(c.getReadyToSend()).to.equal(true);
    expect(c.getDataFormat()).to.equal(0);
    expect(c.getTimeout()).to.equal(0);
    expect(c.getRequestHeaders()).to.match(/^Host: 127\.0\.0\.1:\d+$/m);
  });

  it('writes through the setters with the procedural checks (605 for a DataFormat outside the table)', async () => {
    const c = s.getConnections().item(ids[0]!);
    c.setTimeout(7);
    expect(c.getTimeout()).to.equal(7);
    c.setTimeout(0);
    c.setDataFormat(2);
    expect(c.getDataFormat()).to.equal(2);
    let code = 0;
    try {
      c.setDataFormat(3);
    } catch (error) {
      code = (error as WSServerError).code;
    }
    expect(code).to.equal(605);
    const got = replies(clients[0]!, 1);
    c.setDataToSend(Buffer.from([1, 2, 255]));
    expect(await got).to.deep.equal([['0102ff', true]]);
  });

  it('drops a connection once its client has gone: has() false, count down, its item answers 126', async () => {
    const connections = s.getConnections();
    const gone = connections.item(ids[0]!);
    await closeClient(clients[0]!);
    await eventually(() => !connections.has(ids[0]!), 'the connection to go');
    expect(connections.count).to.equal(1);
    expect(connections.ids()).to.deep.equal([ids[1]]);
    let code = 0;
    try {
      gone.getRemoteHost();
    } catch (error) {
      code = (error as WSServerError).code;
    }
    expect(code).to.equal(126);
  });

  it('disconnects a client with setConnected(false)', async () => {
    const closed = new Promise<number>((resolve) => clients[1]!.once('close', resolve));
    s.getConnections().item(ids[1]!).setConnected(false);
    expect(await closed).to.equal(1000);
  });
});
