import { expect } from 'chai';
import { RawClient } from '../helpers/raw-client';
import { eventually, startServer } from '../helpers/server';
import { cleanup, record } from '../helpers/engine';
import { collectGarbage } from '../helpers/memory';


function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

describe('WSServer under load', () => {
  afterEach(cleanup);

  it('1000 connections opened and closed in a loop leave no handles, timers, registry entries or memory behind', async () => {
    // ConnectionBacklog defaults to the reference's 5: bursts of 50 connects need a longer listen queue.
    const { server, port } = await startServer({ connectionBacklog: 511 });
    server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text));
    const disconnected = record(server, 'Disconnected');

    /** One client: handshake, one echo, the closing handshake, TCP gone. */
    async function cycle(n: number): Promise<void> {
      const client = await RawClient.open(port);
      try {
        client.sendText(`n${n}`);
        expect((await client.readMessage()).data.toString()).to.equal(`n${n}`);
        client.sendClose(1000);
        expect((await client.readClose()).code).to.equal(1000);
        await client.waitForEnd();
      } finally {
        client.destroy();
      }
    }

    await cycle(-1);
    await eventually(() => server.wsConnectionCount === 0, 2000, 'the warm-up connection to go');
    collectGarbage();
    const handles = activeHandles();
    const timers = activeTimers();
    const heap = process.memoryUsage().heapUsed;

    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => cycle(round * 50 + i)));
    }

    await eventually(() => server.wsConnectionCount === 0, 3000, 'every connection to go');
    await eventually(() => activeHandles() <= handles, 3000, `active handles back to ${handles}`);
    await eventually(() => activeTimers() <= timers, 3000, `active timers back to ${timers}`);
    expect(server.connections.size).to.equal(0);
    expect(disconnected).to.have.length(1001);
    expect(disconnected.every(([, e]) => e.statusCode === 1000)).to.equal(true);
    collectGarbage();
    // 1000 connections passed through; what stays must not grow with them (a few KiB each would be MiBs).
    expect(process.memoryUsage().heapUsed - heap).to.be.below(3 * 1024 * 1024);
  });

  it('100 clients at once, each with its own echo, all served', async () => {
    const { server, port } = await startServer({ connectionBacklog: 511 });
    server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text.toUpperCase()));
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.open(port)));
    try {
      expect(server.wsConnectionCount).to.equal(100);
      clients.forEach((client, i) => client.sendText(`client ${i}`));
      const replies = await Promise.all(clients.map(async (client) => (await client.readMessage()).data.toString()));
      expect(replies).to.deep.equal(clients.map((_, i) => `CLIENT ${i}`));
    } finally {
      for (const client of clients) client.destroy();
    }
    await eventually(() => server.wsConnectionCount === 0, 3000, 'every connection to go');
  });
});
