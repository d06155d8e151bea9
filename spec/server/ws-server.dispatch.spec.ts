import { expect } from 'chai';
import { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { clientFrame } from '../helpers/frames';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import { cleanup, doEventsLoop, rawConnection, record, track } from '../helpers/engine';

describe('WSServer dispatch (DoEvents, ProcessIdleEvents)', () => {
  afterEach(cleanup);

  describe('ProcessIdleEvents', () => {
    it('is true by default in the modern API: events fire on their own', async () => {
      const { server, port } = await startServer();
      expect(server.config('ProcessIdleEvents')).to.equal('True');
      const connected = nextEvent(server, 'Connected');
      track(await RawClient.open(port));
      expect((await connected).connectionId).to.be.a('number');
    });

    it('false: events wait in the queue until DoEvents fires them, in order', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      const seen = record(server, 'ConnectionRequest', 'WebSocketOpenRequest', 'Connected', 'ReadyToSend', 'DataIn');
      const client = track(await RawClient.connect(port));
      const handshake = client.handshake();
      await delay(50);
      expect(seen).to.deep.equal([]);
      let answered = false;
      void handshake.then(() => (answered = true));
      for (let i = 0; i < 100 && !answered; i++) await server.doEvents();
      expect((await handshake).status).to.equal(101);
      while (seen.length < 4) await server.doEvents();
      expect(seen.map(([name]) => name)).to.deep.equal(['ConnectionRequest', 'WebSocketOpenRequest', 'Connected', 'ReadyToSend']);
      client.sendText('queued');
      await delay(50);
      expect(seen).to.have.length(4);
      await server.doEvents();
      expect(seen.map(([name]) => name)).to.deep.equal(['ConnectionRequest', 'WebSocketOpenRequest', 'Connected', 'ReadyToSend', 'DataIn']);
    });

    it('false: ConnectionRequest holds the connection unread until it fired', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, LogLevel: 3 } });
      const logs = record(server, 'Log');
      const requests = record(server, 'ConnectionRequest');
      const client = track(await RawClient.connect(port));
      client.write(client.upgradeRequest());
      await delay(50);
      expect(server.wsConnectionCount).to.equal(1);
      await server.doEvents();
      expect(requests).to.have.length(1);
      const messages = logs.map(([, e]) => e.message as string);
      expect(messages[0]).to.match(/^Connection request from 127\.0\.0\.1:\d+\.$/);
      expect(messages.some((m) => m.startsWith('GET ') || m.startsWith('Received'))).to.equal(false);
      const stop = doEventsLoop(server);
      expect((await client.readHttpResponse()).status).to.equal(101);
      await stop();
    });

    it('false: WebSocketOpenRequest holds the handshake until it fired', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      server.on('WebSocketOpenRequest', (e) => (e.statusCode = 418));
      const client = track(await RawClient.connect(port));
      const handshake = client.handshake();
      let answered = false;
      void handshake.then(() => (answered = true));
      await delay(50);
      expect(answered).to.equal(false);
      await server.doEvents();
      expect((await handshake).status).to.equal(418);
    });

    it('false: without a listener for them, ConnectionRequest and WebSocketOpenRequest do not hold the handshake', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      const connected = record(server, 'Connected');
      const client = track(await RawClient.connect(port));
      expect((await client.handshake()).status).to.equal(101);
      expect(connected).to.deep.equal([]);
      await server.doEvents();
      expect(connected).to.have.length(1);
    });

    it('DoEvents returns as soon as an event is queued while it waits', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, SelectWaitMillis: 5000 } });
      const connected = record(server, 'Connected');
      const client = track(await RawClient.connect(port));
      const started = Date.now();
      const waiting = server.doEvents();
      await client.handshake();
      await waiting;
      if (connected.length === 0) await server.doEvents();
      expect(connected).to.have.length(1);
      expect(Date.now() - started).to.be.below(1000);
    });

    it('switching ProcessIdleEvents to true fires what is queued on its own', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      const connected = record(server, 'Connected');
      const client = track(await RawClient.connect(port));
      const handshake = client.handshake();
      await delay(30);
      server.config('ProcessIdleEvents=true');
      expect((await handshake).status).to.equal(101);
      await eventually(() => connected.length === 1, 2000, 'Connected');
    });
  });

  describe('order holds when a connection fails', () => {
    for (const processIdle of [true, false]) {
      it(`a valid message before a bad frame is delivered, and its reply goes out before the close frame (ProcessIdleEvents=${processIdle})`, async () => {
        const { server, port } = await startServer({ config: { ProcessIdleEvents: processIdle } });
        const stop = processIdle ? null : doEventsLoop(server);
        try {
          const seen = record(server, 'DataIn', 'Error', 'Disconnected');
          server.on('DataIn', (e) => void server.sendText(e.connectionId, `reply to ${e.text}`));
          const { client } = await rawConnection(server, port);
          // The good message and an unmasked (bad) frame in one TCP write.
          client.write(Buffer.concat([clientFrame(1, 'good'), unmasked('bad')]));
          const reply = await client.readFrame();
          expect([reply.opcode, reply.payload.toString()]).to.deep.equal([1, 'reply to good']);
          expect(await client.readClose()).to.deep.equal({ code: 1002, reason: 'client frames must be masked' });
          await client.waitForEnd();
          await eventually(() => seen.some(([name]) => name === 'Disconnected'), 2000, 'Disconnected');
          expect(seen.map(([name, e]) => [name, name === 'DataIn' ? e.text : name === 'Error' ? e.errorCode : e.statusCode])).to.deep.equal([
            ['DataIn', 'good'],
            ['Error', 619],
            ['Disconnected', 1002],
          ]);
        } finally {
          await stop?.();
        }
      });
    }

    it('holds with permessage-deflate too: the compressed reply goes out before the close frame', async () => {
      const { server, port } = await startServer();
      server.on('DataIn', (e) => void server.sendText(e.connectionId, `${e.text} `.repeat(40)));
      const { client } = await rawConnection(server, port, { extensions: 'permessage-deflate' });
      client.write(Buffer.concat([clientFrame(1, 'echo'), unmasked('bad')]));
      const reply = await client.readFrame();
      expect([reply.opcode, reply.rsv1]).to.deep.equal([1, true]);
      expect((await client.readClose()).code).to.equal(1002);
    });
  });

  describe('a throwing event handler', () => {
    it('is reported through the Error event (615) and the server keeps serving', async () => {
      const { server, port } = await startServer();
      const errors = record(server, 'Error');
      let calls = 0;
      server.on('DataIn', (e) => {
        calls++;
        if (e.text === 'boom') throw new Error('handler exploded');
        void server.sendText(e.connectionId, e.text);
      });
      const { client, id } = await rawConnection(server, port);
      client.sendText('boom');
      client.sendText('after');
      expect((await client.readMessage()).data.toString()).to.equal('after');
      expect(calls).to.equal(2);
      expect(errors.map(([, e]) => e)).to.deep.equal([
        { connectionId: id, errorCode: 615, description: 'An event handler threw an exception in DataIn: handler exploded' },
      ]);
      const fresh = await rawConnection(server, port);
      fresh.client.sendText('fresh');
      expect((await fresh.client.readMessage()).data.toString()).to.equal('fresh');
    });

    it('an async handler that rejects is reported the same way', async () => {
      const { server, port } = await startServer();
      const errors = record(server, 'Error');
      server.on('DataIn', async (e) => {
        await delay(1);
        throw new Error(`async failure on ${e.text}`);
      });
      const { client, id } = await rawConnection(server, port);
      client.sendText('x');
      await eventually(() => errors.length === 1, 2000, 'the Error event');
      expect(errors[0]![1]).to.deep.equal({ connectionId: id, errorCode: 615, description: 'An event handler threw an exception in DataIn: async failure on x' });
    });

    it('in DoEvents mode too', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      const errors = record(server, 'Error');
      server.on('Connected', () => {
        throw new Error('no thanks');
      });
      const stop = doEventsLoop(server);
      try {
        const client = track(await RawClient.open(port));
        await eventually(() => errors.length === 1, 2000, 'the Error event');
        expect(errors[0]![1].description).to.equal('An event handler threw an exception in Connected: no thanks');
        expect(client.closed).to.equal(false);
      } finally {
        await stop();
      }
    });

    it('a throwing WebSocketOpenRequest handler refuses the upgrade with 500, whatever it set (fail closed)', async () => {
      const { server, port } = await startServer();
      const errors = record(server, 'Error');
      const opened = record(server, 'Connected', 'DataIn');
      server.on('WebSocketOpenRequest', (e) => {
        e.statusCode = 101;
        throw new Error('oops');
      });
      const client = track(await RawClient.connect(port));
      expect((await client.handshake()).status).to.equal(500);
      await client.waitForEnd();
      expect(opened).to.deep.equal([]);
      expect(errors.map(([, e]) => e.description)).to.deep.equal(['An event handler threw an exception in WebSocketOpenRequest: oops']);
    });

    describe('whatever is thrown, from sync and async handlers (issue 12: no value ends the process)', () => {
      const { proxy: revoked, revoke } = Proxy.revocable({}, {});
      revoke();
      const VALUES: Array<[string, () => unknown, string]> = [
        ['Object.create(null)', () => Object.create(null), '[object Object]'],
        ['a Symbol', () => Symbol('odd'), 'Symbol(odd)'],
        ['undefined', () => undefined, 'undefined'],
        ['null', () => null, 'null'],
        [
          'a frozen object whose toString throws',
          () =>
            Object.freeze({
              toString() {
                throw new Error('no string for you');
              },
            }),
          '[object Object]',
        ],
        ['a revoked Proxy', () => revoked, '[object]'],
        ['an Error whose message getter throws', () => Object.defineProperty(new Error(), 'message', { get: () => { throw new Error('x'); } }), '[object Error]'],
      ];
      for (const [what, value, text] of VALUES) {
        for (const async of [false, true]) {
          const kind = async ? 'an async' : 'a sync';
          it(`${what} from ${kind} DataIn handler: Error 615 "${text}", the server keeps serving`, async () => {
            const { server, port } = await startServer();
            const errors = record(server, 'Error');
            server.on('DataIn', (e) => {
              if (e.text !== 'boom') return void server.sendText(e.connectionId, e.text);
              if (!async) throw value();
              return delay(1).then(() => Promise.reject(value()));
            });
            const { client, id } = await rawConnection(server, port);
            client.sendText('boom');
            await eventually(() => errors.length === 1, 2000, 'the Error event');
            expect(errors[0]![1]).to.deep.equal({ connectionId: id, errorCode: 615, description: `An event handler threw an exception in DataIn: ${text}` });
            client.sendText('still here');
            expect((await client.readMessage()).data.toString()).to.equal('still here');
          });

          it(`${what} from ${kind} WebSocketOpenRequest handler: HTTP 500 and Error 615 "${text}"`, async () => {
            const { server, port } = await startServer();
            const errors = record(server, 'Error');
            server.on('WebSocketOpenRequest', () => {
              if (!async) throw value();
              return delay(1).then(() => Promise.reject(value()));
            });
            const client = track(await RawClient.connect(port));
            expect((await client.handshake()).status).to.equal(500);
            expect(errors.map(([, e]) => e.description)).to.deep.equal([`An event handler threw an exception in WebSocketOpenRequest: ${text}`]);
          });
        }
      }
    });

    it('an Error handler that throws is not reported again (no loop)', async () => {
      const server = new WSServer();
      let errorCalls = 0;
      server.on('Error', () => {
        errorCalls++;
        throw new Error('error handler broken');
      });
      server.on('Log', () => {
        throw new Error('log handler broken');
      });
      server.log(0, 1, 'hello', 'Info');
      expect(errorCalls).to.equal(1);
    });
  });
});

/** An unmasked client text frame, which a server must refuse (RFC 6455 §5.1). */
function unmasked(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}
