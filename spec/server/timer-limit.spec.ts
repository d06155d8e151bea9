/**
 * Settings and properties that become timers (issue 12): none wraps past 2^31-1 ms, where a Node timer
 * fires after 1 ms. HandshakeTimeout (ours) refuses such values with 608; the reference's values are
 * clamped; KeepAliveInterval / KeepAliveRetryCount / MaxReadTime are no timers and are kept as given.
 */
import { expect } from 'chai';
import { Socket } from 'node:net';
import sinon from 'sinon';
import { WSServerError } from '../../lib/server/errors';
import { TIMER_MAX_MS, secondsToTimer, timerDelay } from '../../lib/server/timer-limit';
import { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { cleanup, rawConnection, thrown, track } from '../helpers/engine';
import { delay, eventually, startServer } from '../helpers/server';
import { cleanUp as cleanUpTls, tlsServer } from '../tls/helpers';

/** Whether `promise` is still pending after `ms` (it keeps running). */
async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await delay(ms);
  return !settled;
}

describe('timer-limit', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanup();
    await cleanUpTls();
  });

  describe('timerDelay / secondsToTimer', () => {
    it('keep what a timer holds and clamp the rest to 2^31-1 ms', () => {
      expect([timerDelay(0), timerDelay(1), timerDelay(TIMER_MAX_MS), timerDelay(TIMER_MAX_MS + 1), timerDelay(1e15)]).to.deep.equal([
        0,
        1,
        0x7fffffff,
        0x7fffffff,
        0x7fffffff,
      ]);
      expect([secondsToTimer(30), secondsToTimer(2147483), secondsToTimer(2147484), secondsToTimer(3000000)]).to.deep.equal([
        30000,
        2147483000,
        0x7fffffff,
        0x7fffffff,
      ]);
    });
  });

  describe('HandshakeTimeout (ours): refused beyond 2147483 s', () => {
    it('3000000 is 608 and the value stays; 2147483 is taken', () => {
      const server = new WSServer();
      const error = thrown(() => server.config('HandshakeTimeout=3000000'));
      expect([error instanceof WSServerError, error.code]).to.deep.equal([true, 608]);
      expect(server.config('HandshakeTimeout')).to.equal('30');
      server.config('HandshakeTimeout=2147483');
      expect(server.config('HandshakeTimeout')).to.equal('2147483');
    });

    it('at its maximum a client in the middle of its request is not answered 408 at once', async () => {
      const { port } = await startServer({ config: { HandshakeTimeout: 2147483 } });
      const client = track(await RawClient.connect(port));
      client.write('GET / HTTP/1.1\r\n');
      expect(await stillPending(client.readHttpResponse(2000), 150)).to.equal(true);
    });
  });

  describe('clamped, never wrapped', () => {
    it('DefaultConnectionTimeout 3000000 s: an idle client in its handshake is not dropped at once (408)', async () => {
      const { port } = await startServer({ config: { DefaultConnectionTimeout: 3000000 } });
      const client = track(await RawClient.connect(port));
      await delay(150);
      expect([client.ended, client.closed]).to.deep.equal([false, false]);
      expect((await client.handshake()).status).to.equal(101);
    });

    it('DefaultConnectionTimeout 3000000 s bounds the TLS handshake without closing it at once', async () => {
      const server = tlsServer(undefined, { DefaultConnectionTimeout: 3000000 });
      await server.startListening();
      const client = track(await RawClient.connect(server.localPort));
      await delay(150);
      expect([client.ended, client.closed, server.connections.size]).to.deep.equal([false, false, 1]);
    });

    it('SelectWaitMillis 3000000000: DoEvents with nothing queued waits, and returns once something is queued', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, SelectWaitMillis: 3000000000 } });
      server.on('Connected', () => undefined);
      const waiting = server.doEvents();
      expect(await stillPending(waiting, 100)).to.equal(true);
      track(await RawClient.open(port));
      await waiting;
      expect(server.dispatcher.queued).to.equal(0);
    });

    it('WSConnectionTimeout 3000000 s: a ping waits for its pong instead of failing with 609 at once', async () => {
      const { server, port } = await startServer();
      const { client, connection, id } = await rawConnection(server, port);
      connection.timeout = 3000000;
      const ping = server.ping(id);
      expect(await stillPending(ping, 100)).to.equal(true);
      const frame = await client.readFrame();
      expect(frame.opcode).to.equal(9);
      client.sendFrame(10, frame.payload);
      await ping;
    });

    it('WSConnectionTimeout 3000000 s: Disconnect waits for the close reply instead of dropping at once', async () => {
      const { server, port } = await startServer({ config: { WaitForCloseResponse: true } });
      const { client, connection, id } = await rawConnection(server, port);
      connection.timeout = 3000000;
      const closing = server.disconnect(id);
      expect((await client.readClose()).code).to.equal(1000);
      expect(await stillPending(closing, 100)).to.equal(true);
      expect(client.closed).to.equal(false);
      client.sendClose(1000);
      await closing;
      await client.waitForEnd();
    });

    it('KeepAliveTime 10^13 ms reaches the socket as 2^31-1 ms (Node passes whole seconds in 32 bits)', async () => {
      const setKeepAlive = sinon.spy(Socket.prototype, 'setKeepAlive');
      const { server, port } = await startServer({ config: { KeepAliveTime: 1e13 } });
      track(await RawClient.open(port));
      await eventually(() => server.connections.size === 1);
      expect(setKeepAlive.args).to.deep.include([true, 0x7fffffff]);
    });
  });

  describe('no timers: kept as given', () => {
    it('KeepAliveInterval, KeepAliveRetryCount and MaxReadTime take large values and read them back', () => {
      const server = new WSServer();
      for (const name of ['KeepAliveInterval', 'KeepAliveRetryCount', 'MaxReadTime']) {
        server.config(`${name}=3000000000`);
        expect(server.config(name)).to.equal('3000000000');
      }
    });
  });
});
