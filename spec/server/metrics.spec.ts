/**
 * The metrics snapshot after a scripted session over real sockets: every figure is set by something
 * the clients did (messages echoed, a refused upgrade, a refused client, a protocol violation, a peer
 * that went away mid-request, MaxConnections), and the counters keep them after the connections are
 * gone. ServerCounters' own bookkeeping is checked on its own at the end.
 */
import { expect } from 'chai';
import { Phase } from '../../lib/server/connection-base';
import { countReceived, countSent, goneAs, phaseName } from '../../lib/server/metrics';
import { Gone } from '../../lib/server/server-counters';
import { RawClient } from '../helpers/raw-client';
import { eventually, nextEvent, startServer, stopServers } from '../helpers/server';

const clients: RawClient[] = [];

async function track(client: Promise<RawClient>): Promise<RawClient> {
  const raw = await client;
  clients.push(raw);
  return raw;
}

describe('WSServer metrics', () => {
  afterEach(async () => {
    for (const raw of clients.splice(0)) raw.destroy();
    await stopServers();
  });

  it('counts a scripted session: traffic, refusals, failures and close codes', async () => {
    const { server, port } = await startServer({ config: { BufferMessage: true } });
    server.on('DataIn', (e) => void server.sendBytes(e.connectionId, Buffer.concat([Buffer.from('re:'), e.textB])));
    let refuseNext = false;
    server.on('ConnectionRequest', (e) => {
      if (refuseNext) e.accept = false;
      refuseNext = false;
    });

    // One WebSocket: two messages each way, then a clean close.
    const opened = nextEvent(server, 'Connected');
    const echo = await track(RawClient.open(port));
    const { connectionId } = await opened;
    echo.sendText('hello');
    echo.sendBinary(Buffer.from([1, 2, 3]));
    expect((await echo.readMessage()).data.toString()).to.equal('re:hello');
    await echo.readMessage();
    const live = server.connectionMetrics(connectionId);
    expect(live).to.deep.include({ connectionId, phase: 'open', remoteHost: '127.0.0.1' });
    expect(live.traffic).to.deep.equal({ messagesIn: 2, messagesOut: 2, bytesIn: 8, bytesOut: 14 });
    expect(live.queue.readHolds).to.deep.equal([]);
    const during = server.metrics();
    expect(during.connections).to.deep.equal({ total: 1, requested: 0, handshake: 0, opening: 0, open: 1, closing: 0 });
    expect(during.readHolds).to.deep.equal({});
    let disconnected = nextEvent(server, 'Disconnected');
    echo.sendClose(1000, 'done');
    await echo.readClose();
    expect((await disconnected).statusCode).to.equal(1000);

    // An upgrade request with the wrong version: 426.
    const old = await track(RawClient.connect(port));
    expect((await old.handshake({ version: '8' })).status).to.equal(426);

    // A client ConnectionRequest turns away.
    refuseNext = true;
    const refused = await track(RawClient.connect(port));
    await refused.waitForEnd();

    // A client that breaks the protocol (an unmasked frame): 1002.
    const rude = await track(RawClient.open(port));
    disconnected = nextEvent(server, 'Disconnected');
    rude.sendFrame(1, 'no mask', { mask: null });
    expect((await rude.readClose()).code).to.equal(1002);
    expect((await disconnected).statusCode).to.equal(1002);

    // A client that goes away half way through its request.
    const quitter = await track(RawClient.connect(port));
    quitter.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await eventually(() => server.metrics().connections.handshake === 1, 3000, 'the request to be read');
    quitter.destroy();
    await eventually(() => server.connections.size === 0, 3000, 'every connection to be gone');

    const m = server.metrics();
    expect(m.listening).to.equal(true);
    expect(m.connections.total).to.equal(0);
    expect([m.accepted, m.opened]).to.deep.equal([5, 2]);
    expect(m.traffic).to.deep.equal({ messagesIn: 2, messagesOut: 2, bytesIn: 8, bytesOut: 14 });
    expect(m.refusals).to.deep.equal({ maxConnections: 0, connectionRequest: 1, proxyHeader: 0, handshake: { 426: 1 } });
    expect(m.failures).to.deep.include({ beforeUpgrade: 0, duringHandshake: 1, protocol: { 1002: 1 }, outputOverflow: 0, shutdownDeadline: 0 });
    expect(m.closeCodes).to.deep.equal({ 1000: 1, 1002: 1 });
    expect(m.queues).to.deep.equal({ outputBytes: 0, heldInputBytes: 0, assemblyBytes: 0, backlogBytes: 0, backlogEvents: 0 });

    const text = server.metricsText({ labels: { server: 'spec' } });
    expect(text).to.contain('wsserver_connections_accepted_total{server="spec"} 5\n');
    expect(text).to.contain('wsserver_handshake_refusals_total{server="spec",status="426"} 1\n');
    expect(text).to.contain('wsserver_disconnects_total{server="spec",code="1002"} 1\n');
  });

  it('counts MaxConnections refusals, and the budgets that stop reading', async () => {
    const { server, port } = await startServer({ config: { MaxConnections: 1, ProcessIdleEvents: false, MaxQueuedEvents: 2 } });
    server.on('DataIn', () => undefined);
    const first = await track(RawClient.open(port));
    const second = await track(RawClient.connect(port));
    await second.waitForEnd();
    // DoEvents mode and nobody calls DoEvents: the third queued event stops reading the connection.
    for (let i = 0; i < 4; i++) first.sendText(`m${i}`);
    await eventually(() => server.metrics().budgetHits.backlog === 1, 3000, 'the backlog budget to hold');
    const m = server.metrics();
    expect(m.refusals.maxConnections).to.equal(1);
    expect(m.readHolds).to.deep.equal({ Backlog: 1 });
    expect(m.queues.backlogEvents).to.be.greaterThan(2);
    expect(server.connectionMetrics([...server.connections.keys()][0]!).queue.readHolds).to.deep.equal(['Backlog']);
  });

  it('answers 126 for an unknown connection', () => {
    return startServer().then(({ server }) => {
      expect(() => server.connectionMetrics(99)).to.throw().with.property('code', 126);
    });
  });
});

describe('metrics helpers', () => {
  it('tells how a connection ended from where it was', () => {
    const connection = (core: object | null) => ({ core }) as never;
    expect([
      goneAs(connection({}), Phase.Open),
      goneAs(connection(null), Phase.Requested),
      goneAs(connection(null), Phase.Handshake),
      goneAs(connection(null), Phase.Opening),
      goneAs(connection(null), Phase.Closed),
    ]).to.deep.equal([Gone.Opened, Gone.BeforeUpgrade, Gone.DuringHandshake, Gone.DuringHandshake, Gone.Counted]);
  });

  it('counts a message at its last piece and every byte', () => {
    const target = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 } as never as Parameters<typeof countSent>[0];
    countReceived(target, 10, false);
    countReceived(target, 5, true);
    countSent(target, 7, true);
    expect([target.messagesIn, target.bytesIn, target.messagesOut, target.bytesOut]).to.deep.equal([1, 15, 1, 7]);
  });

  it('names the phases', () => {
    expect([Phase.Requested, Phase.Handshake, Phase.Opening, Phase.Open, Phase.Closing, Phase.Closed].map((p) => phaseName(p))).to.deep.equal([
      'requested',
      'handshake',
      'opening',
      'open',
      'closing',
      'closed',
    ]);
  });
});
