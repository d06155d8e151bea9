import { expect } from 'chai';
import sinon from 'sinon';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { ReadGate, ReadHold, describeHolds } from '../../lib/server/read-gate';
import { RawClient } from '../helpers/raw-client';
import { cleanup, doEventsLoop, rawConnection, track } from '../helpers/engine';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';

/** A socket that records what the gate told it. */
class FakeSocket {
  calls: string[] = [];
  paused = true;
  pause(): void {
    this.calls.push('pause');
    this.paused = true;
  }
  resume(): void {
    this.calls.push('resume');
    this.paused = false;
  }
}

const REASONS = Object.entries(ReadHold) as Array<[string, ReadHold]>;

describe('ReadGate', () => {
  it('has one distinct bit per reason', () => {
    const bits = REASONS.map(([, bit]) => bit);
    expect(new Set(bits).size).to.equal(bits.length);
    for (const bit of bits) expect(bit & (bit - 1), `bit ${bit}`).to.equal(0);
  });

  for (const [name, reason] of REASONS) {
    it(`pauses for ${name}, and releasing it resumes`, () => {
      const socket = new FakeSocket();
      const gate = new ReadGate(socket, 0);
      gate.hold(reason);
      expect([socket.paused, gate.isHeld(reason), describeHolds(gate.reasons)]).to.deep.equal([true, true, [name]]);
      gate.release(reason);
      expect([socket.paused, gate.reasons]).to.deep.equal([false, 0]);
      expect(socket.calls).to.deep.equal(['pause', 'resume']);
    });
  }

  it('resumes only once the last reason is gone, and tells the socket only on a change', () => {
    const socket = new FakeSocket();
    const gate = new ReadGate(socket, ReadHold.Admission);
    gate.hold(ReadHold.AcceptData);
    gate.hold(ReadHold.AcceptData);
    gate.release(ReadHold.Admission);
    expect(socket.paused).to.equal(true);
    gate.release(ReadHold.Backlog); // not held: nothing happens
    gate.set(ReadHold.AcceptData, false);
    expect(socket.paused).to.equal(false);
    // Accepted paused: the gate said nothing until the last reason went.
    expect(socket.calls).to.deep.equal(['resume']);
  });

  it('carries its record over to a new socket (TLS)', () => {
    const tcp = new FakeSocket();
    const tls = new FakeSocket();
    const gate = new ReadGate(tcp, ReadHold.Handshake);
    gate.useSocket(tls);
    expect(tls.calls).to.deep.equal(['pause']);
    gate.release(ReadHold.Handshake);
    expect([tls.paused, tcp.calls]).to.deep.equal([false, []]);
  });
});

// Each reason on a real connection: it pauses reading, and removing it resumes with nothing lost.
describe('read gate on a connection', () => {
  afterEach(cleanup);

  /** Sends `count` numbered text messages and returns what the server's DataIn saw, in order. */
  function collect(server: Awaited<ReturnType<typeof startServer>>['server']): string[] {
    const seen: string[] = [];
    server.on('DataIn', (e) => seen.push(e.text));
    return seen;
  }

  it('AcceptData=false holds reading; true resumes it and hands out every message in order', async () => {
    const { server, port } = await startServer();
    const seen = collect(server);
    const { client, connection } = await rawConnection(server, port);
    connection.acceptData = false;
    expect(connection.driver.gate.isHeld(ReadHold.AcceptData)).to.equal(true);
    for (let i = 0; i < 20; i++) client.sendText(`m${i}`);
    await delay(100);
    expect(seen).to.deep.equal([]);
    connection.acceptData = true;
    expect(connection.driver.gate.reasons).to.equal(0);
    await eventually(() => seen.length === 20);
    expect(seen).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('the DoEvents backlog holds reading above InBufferSize × 16 and releases it as DoEvents catches up', async () => {
    const { server, port } = await startServer({ config: { ProcessIdleEvents: false, InBufferSize: 1024 } });
    const seen = collect(server);
    const pumping = doEventsLoop(server);
    const { client, connection } = await rawConnection(server, port);
    await pumping();
    const message = 'x'.repeat(4096);
    for (let i = 0; i < 16; i++) client.sendText(`${i}:${message}`);
    await eventually(() => connection.driver.gate.isHeld(ReadHold.Backlog), 3000, 'the backlog hold');
    expect(connection.queuedInput).to.be.greaterThan(16 * 1024);
    for (let round = 0; round < 200 && seen.length < 16; round++) await server.doEvents();
    expect(seen.map((text) => Number(text.split(':')[0]))).to.deep.equal(Array.from({ length: 16 }, (_, i) => i));
    expect(connection.driver.gate.isHeld(ReadHold.Backlog)).to.equal(false);
    expect(connection.queuedInput).to.equal(0);
  });

  it('MaxReadTime holds a connection for the rest of its turn, then goes on with nothing lost', async () => {
    const { server, port } = await startServer({ config: { MaxReadTime: 5 } });
    const seen: string[] = [];
    const { client, connection } = await rawConnection(server, port);
    const holds = sinon.spy(connection.driver.gate, 'hold');
    server.on('DataIn', (e) => {
      seen.push(e.text);
      const until = performance.now() + 2;
      while (performance.now() < until); // a slow handler
    });
    const frames: Buffer[] = [];
    for (let i = 0; i < 30; i++) frames.push(Buffer.from(`m${i}`));
    // One write: the messages arrive in one chunk, so only the fairness hold can split the work.
    client.write(Buffer.concat(frames.map((f) => frameOf(f))));
    await eventually(() => seen.length === 30, 5000, 'all 30 messages');
    expect(holds.calledWith(ReadHold.Fairness)).to.equal(true);
    expect(seen).to.deep.equal(Array.from({ length: 30 }, (_, i) => `m${i}`));
    await eventually(() => !connection.driver.gate.isHeld(ReadHold.Fairness), 1000, 'the end of the turn');
  });

  it('a held WebSocketOpenRequest (DoEvents mode) holds reading; frames sent behind the request come after the 101', async () => {
    const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
    const seen = collect(server);
    server.on('WebSocketOpenRequest', () => undefined);
    const client = track(await RawClient.connect(port));
    client.write(client.upgradeRequest() + '');
    client.write(frameOf(Buffer.from('early')));
    await delay(50);
    const connection = [...server.connections.values()][0]!;
    expect(connection.driver.gate.isHeld(ReadHold.Handshake)).to.equal(true);
    await server.doEvents();
    const response = await client.readHttpResponse();
    expect(response.status).to.equal(101);
    expect(connection.driver.gate.isHeld(ReadHold.Handshake)).to.equal(false);
    for (let round = 0; round < 50 && seen.length === 0; round++) await server.doEvents();
    expect(seen).to.deep.equal(['early']);
  });

  it('a held ConnectionRequest (DoEvents mode) holds Admission until it has fired', async () => {
    const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
    server.on('ConnectionRequest', () => undefined);
    const client = track(await RawClient.connect(port));
    await eventually(() => server.connections.size === 1);
    const connection = [...server.connections.values()][0]!;
    expect(connection.driver.gate.isHeld(ReadHold.Admission)).to.equal(true);
    const opened = nextEvent(server, 'Connected');
    await server.doEvents();
    expect(connection.driver.gate.isHeld(ReadHold.Admission)).to.equal(false);
    const response = client.handshake();
    for (let round = 0; round < 50 && server.connections.get(connection.connectionId)!.phase < 3; round++) await server.doEvents();
    expect((await response).status).to.equal(101);
    await server.doEvents();
    await opened;
  });

  it('a message inflated in the background holds reading (Inflate); what follows comes after it, in order', async () => {
    const { server, port } = await startServer({ config: { MaxMessageSize: 64 * 1024 * 1024 } });
    // [bytes, pieces] per message: the large one may come in pieces as it is inflated.
    const seen: Array<[number, number]> = [];
    let bytes = 0;
    let pieces = 0;
    server.on('DataIn', (e) => {
      bytes += e.textB.length;
      pieces++;
      if (!e.eom) return;
      seen.push([bytes, pieces]);
      bytes = pieces = 0;
    });
    const { client, connection } = await rawConnection(server, port, { extensions: 'permessage-deflate' });
    const sets = sinon.spy(connection.driver.gate, 'set');
    // 8 MiB of text that compresses well: far above what the codec inflates synchronously.
    const plain = Buffer.alloc(8 * 1024 * 1024, 'abcdefgh');
    const compressed = deflateRawSync(plain, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    client.sendFrame(1, compressed.subarray(0, compressed.length - 4), { rsv1: true });
    for (let i = 0; i < 5; i++) client.sendText(`after${i}`);
    await eventually(() => seen.length === 6, 10000, 'the large message and the five behind it');
    const inflateCalls = sets.getCalls().filter((call) => call.args[0] === ReadHold.Inflate).map((call) => call.args[1]);
    expect(inflateCalls[0]).to.equal(true);
    expect(inflateCalls.at(-1)).to.equal(false);
    expect(seen.map(([size]) => size)).to.deep.equal([plain.length, ...Array.from({ length: 5 }, (_, i) => `after${i}`.length)]);
    expect(connection.driver.gate.isHeld(ReadHold.Inflate)).to.equal(false);
  });

  it('a peer close ends reading (Ended)', async () => {
    const { server, port } = await startServer();
    const { client, connection } = await rawConnection(server, port);
    client.sendClose(1000);
    await client.readClose();
    expect(connection.driver.gate.isHeld(ReadHold.Ended)).to.equal(true);
  });
});

/** A masked client text frame (FIN) carrying `payload` (below 126 bytes). */
function frameOf(payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}
