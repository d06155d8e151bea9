/**
 * The hand-written runtime under the generated names: events by name (chaining, once/off, `this`,
 * unknown names), out-parameters set on the event object, and failures of async methods — which
 * reject for a caller that awaits and reach the Error event, so an unawaited call cannot end the process.
 */
import { expect } from 'chai';
import { WSServerError, type wsserver } from '../../../compat/node-edition/index';
import { closeClient, connect, eventually, makeServer, replies, stopAll } from './helpers';

describe('node edition runtime', () => {
  afterEach(stopAll);

  describe('events by name', () => {
    it('chains on(), once() and off(), each returning the server', () => {
      const s = makeServer();
      const handler = () => undefined;
      expect(s.on('Connected', handler)).to.equal(s);
      expect(s.once('DataIn', handler)).to.equal(s);
      expect(s.off('Connected', handler)).to.equal(s);
      expect(s.server.listenerCount('Connected')).to.equal(0);
      expect(s.server.listenerCount('DataIn')).to.equal(1);
      expect(s.off('DataIn', handler).server.listenerCount('DataIn')).to.equal(0);
    });

    it('throws 611 for an unknown event name, naming the spelling meant when only the case differs', () => {
      const s = makeServer();
      const attempt = (name: string) => {
        try {
          s.on(name as 'DataIn', () => undefined);
        } catch (error) {
          return error as WSServerError;
        }
        throw new Error(`on('${name}') did not throw`);
      };
      const typo = attempt('DataInn');
      expect(typo).to.be.instanceOf(WSServerError);
      expect(typo.code).to.equal(611);
      expect(typo.message).to.match(/^Unknown event name 'DataInn'\. Events: Connected, ConnectionRequest, DataIn, /);
      const lower = attempt('datain');
      expect(lower.code).to.equal(611);
      expect(lower.message).to.equal("Unknown event name 'datain'. Did you mean 'DataIn'?");
      expect(attempt('error').message).to.contain("Did you mean 'Error'?");
      expect(s.server.listenerCount('DataIn')).to.equal(0);
    });

    it('calls handlers with the server as `this` and camelCase fields; once() fires one time', async () => {
      const s = makeServer();
      const calls: Array<[boolean, number, string]> = [];
      let onceCalls = 0;
      s.on('DataIn', function (this: wsserver, e) {
        calls.push([this === s, e.dataFormat, e.text]);
        void this.sendText(e.connectionId, e.text);
      }).once('DataIn', () => void onceCalls++);
      await s.startListening();
      const ws = await connect(s.getLocalPort());
      const got = replies(ws, 2);
      ws.send('a');
      ws.send('b');
      await got;
      await closeClient(ws);
      expect(calls).to.deep.equal([
        [true, 1, 'a'],
        [true, 1, 'b'],
      ]);
      expect(onceCalls).to.equal(1);
    });

    it('reads out-parameters from the event object (statusCode refuses the upgrade)', async () => {
      const s = makeServer();
      s.on('WebSocketOpenRequest', (e) => {
        if (e.requestURI !== '/ok') e.statusCode = 404;
      });
      await s.startListening();
      const refused = await connect(s.getLocalPort(), { path: '/nope' }).then(
        () => 'opened',
        (error: Error) => error.message,
      );
      expect(refused).to.equal('Unexpected server response: 404');
      await closeClient(await connect(s.getLocalPort(), { path: '/ok' }));
    });

    it('queues events for doEvents() after config("ProcessIdleEvents=false")', async () => {
      const s = makeServer();
      s.config('ProcessIdleEvents=false');
      const connected: number[] = [];
      s.on('Connected', (e) => void connected.push(e.connectionId));
      await s.startListening();
      const ws = await connect(s.getLocalPort());
      expect(connected).to.deep.equal([]);
      while (connected.length === 0) await s.doEvents();
      expect(connected).to.deep.equal([1]);
      await closeClient(ws);
    });
  });

  describe('failures of async methods', () => {
    it('rejects an awaited call with WSServerError and the reference code (126), and fires Error with the connection id', async () => {
      const s = makeServer();
      const errors: Array<[number, number, string]> = [];
      s.on('Error', (e) => void errors.push([e.connectionId, e.errorCode, e.description]));
      const failure = await s.sendText(42, 'x').then(
        () => null,
        (error: WSServerError) => error,
      );
      expect(failure).to.be.instanceOf(WSServerError);
      expect(failure!.code).to.equal(126);
      expect(failure!.message).to.equal('Invalid ConnectionId.');
      await eventually(() => errors.length === 1, 'the Error event');
      expect(errors).to.deep.equal([[42, 126, 'Invalid ConnectionId.']]);
    });

    it('lets a failing call nobody awaits go to the Error event, never to unhandledRejection', async () => {
      const s = makeServer();
      const errors: number[] = [];
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        s.on('Error', (e) => void errors.push(e.errorCode));
        s.on('DataIn', (e) => {
          void s.sendText(e.connectionId + 1000, e.text); // wrong id on purpose, not awaited
          void s.disconnect('no such id');
          void s.sendText(e.connectionId, 'still here');
        });
        await s.startListening();
        const ws = await connect(s.getLocalPort());
        const got = replies(ws, 1);
        ws.send('go');
        expect(await got).to.deep.equal([['still here', false]]);
        await eventually(() => errors.length === 2, 'two Error events');
        // Unhandled rejections are reported after a macrotask turn: give them one.
        await new Promise((resolve) => setImmediate(resolve));
        await closeClient(ws);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(errors).to.deep.equal([126, 126]);
      expect(unhandled).to.deep.equal([]);
    });

    it('fires Error with connection id 0 when startListening fails (port taken: 10048) and rejects the caller', async () => {
      const first = makeServer();
      await first.startListening();
      const second = makeServer();
      second.setLocalPort(first.getLocalPort());
      const errors: Array<[number, number]> = [];
      second.on('Error', (e) => void errors.push([e.connectionId, e.errorCode]));
      const code = await second.startListening().then(
        () => 0,
        (error: WSServerError) => error.code,
      );
      expect(code).to.equal(10048);
      await eventually(() => errors.length === 1, 'the Error event');
      expect(errors).to.deep.equal([[0, 10048]]);
    });
  });
});
