/**
 * ShutdownTimeout over real sockets: a client that never answers the close cannot hold Shutdown past the
 * deadline (its connection is destroyed and counted), one that answers is closed cleanly, and without
 * a deadline Shutdown waits for the closes themselves.
 */
import { expect } from 'chai';
import { ServerCounters } from '../../lib/server/server-counters';
import { withShutdownDeadline } from '../../lib/server/shutdown-deadline';
import type { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { nextEvent, startServer, stopServers } from '../helpers/server';

const clients: RawClient[] = [];

async function serverWith(config: Record<string, number | boolean>): Promise<WSServer> {
  // A close we start waits up to a minute for the client's reply (the connection's Timeout).
  const { server } = await startServer({ defaultTimeout: 60, config });
  return server;
}

async function client(server: WSServer): Promise<RawClient> {
  const opened = nextEvent(server, 'Connected');
  const raw = await RawClient.open(server.localPort);
  clients.push(raw);
  await opened;
  return raw;
}

describe('Shutdown deadline (ShutdownTimeout)', () => {
  afterEach(async () => {
    for (const raw of clients.splice(0)) raw.destroy();
    await stopServers();
  });

  it('destroys a client that never answers the close once the deadline passes', async () => {
    const server = await serverWith({ WaitForCloseResponse: true, ShutdownTimeout: 1 });
    const silent = await client(server);
    const disconnected = nextEvent(server, 'Disconnected', 10_000);
    const done = server.shutdown();
    expect(await silent.readClose()).to.deep.equal({ code: 1000, reason: '' });
    await done;
    await silent.waitForEnd();
    expect((await disconnected).statusCode).to.equal(1000);
    expect(server.connections.size).to.equal(0);
    expect(server.metrics().failures.shutdownDeadline).to.equal(1);
  });

  it('destroys nothing when the clients answer in time', async () => {
    const server = await serverWith({ WaitForCloseResponse: true, ShutdownTimeout: 30 });
    const polite = await client(server);
    const done = server.shutdown();
    const close = await polite.readClose();
    polite.sendClose(close.code, close.reason);
    await done;
    await polite.waitForEnd();
    expect(server.metrics().failures.shutdownDeadline).to.equal(0);
    expect(server.metrics().closeCodes).to.deep.equal({ 1000: 1 });
  });
});

describe('withShutdownDeadline', () => {
  function fakeConnection(id: number) {
    const destroyed: number[] = [];
    let closed: () => void = () => undefined;
    const whenClosedPromise = new Promise<void>((resolve) => (closed = resolve));
    const connection = {
      connectionId: id,
      engine: { logger: { log: () => undefined } },
      whenClosed: () => whenClosedPromise,
      destroy: () => {
        destroyed.push(id);
        closed();
      },
    };
    return { connection: connection as never, destroyed };
  }

  it('without a deadline only waits for the closes', async () => {
    const { connection, destroyed } = fakeConnection(1);
    const counters = new ServerCounters();
    let finish: () => void = () => undefined;
    const closing = new Promise<void>((resolve) => (finish = resolve));
    const waiting = withShutdownDeadline(closing, 0, () => [connection], counters);
    setTimeout(finish, 20);
    await waiting;
    expect([destroyed, counters.shutdownDeadline]).to.deep.equal([[], 0]);
  });

  it('destroys what is left when the closes outlast it, then waits for the closes', async () => {
    const { connection, destroyed } = fakeConnection(4);
    const counters = new ServerCounters();
    const order: string[] = [];
    const closing = (connection as unknown as { whenClosed(): Promise<void> }).whenClosed().then(() => order.push('closed'));
    await withShutdownDeadline(closing, 0.05, () => [connection], counters);
    order.push('returned');
    expect([destroyed, counters.shutdownDeadline, order]).to.deep.equal([[4], 1, ['closed', 'returned']]);
  });

  it('a deadline longer than a Node timer holds (3,000,000 s) is clamped, not fired after 1 ms', async () => {
    const { connection, destroyed } = fakeConnection(5);
    const counters = new ServerCounters();
    let finish: () => void = () => undefined;
    const closing = new Promise<void>((resolve) => (finish = resolve));
    const waiting = withShutdownDeadline(closing, 3_000_000, () => [connection], counters);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([destroyed, counters.shutdownDeadline]).to.deep.equal([[], 0]);
    finish();
    await waiting;
  });
});
