import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import sinon from 'sinon';
import { Dispatcher, EVENT_COST, type BacklogOwner } from '../../lib/server/dispatcher';
import { DataInEvent, type ErrorEvent, type LogEvent } from '../../lib/server/events';
import { FlushScheduler } from '../../lib/server/flush-scheduler';
import { Settings, type SettingValue } from '../../lib/server/settings';

/** A dispatcher over a real emitter, settings and flush scheduler. */
function setup(overrides: Record<string, SettingValue> = {}) {
  const emitter = new EventEmitter();
  const settings = new Settings(overrides);
  const flusher = new FlushScheduler();
  const dispatcher = new Dispatcher(emitter, settings, flusher);
  return { emitter, settings, flusher, dispatcher };
}

/** A connection's backlog account that records what it was told. */
class FakeBacklog implements BacklogOwner {
  calls: string[] = [];
  bytes = 0;
  eventQueued(cost: number): void {
    this.calls.push(`queued ${cost - EVENT_COST}`);
    this.bytes += cost - EVENT_COST;
  }
  eventFired(cost: number): void {
    this.calls.push(`dispatched ${cost - EVENT_COST}`);
    this.bytes -= cost - EVENT_COST;
  }
}

function dataIn(connectionId: number, text: string): DataInEvent {
  return new DataInEvent(connectionId, 1, Buffer.from(text), true, false, true);
}

describe('Dispatcher', () => {
  afterEach(() => sinon.restore());

  describe('immediate and queued dispatch', () => {
    it('fires at once with ProcessIdleEvents=true', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true });
      const seen: number[] = [];
      emitter.on('Connected', (event: { connectionId: number }) => seen.push(event.connectionId));
      expect(dispatcher.immediate).to.equal(true);
      dispatcher.dispatchEvent('Connected', { connectionId: 3 });
      expect(seen).to.deep.equal([3]);
      expect(dispatcher.queued).to.equal(0);
    });

    it('queues with ProcessIdleEvents=false and fires, in order, from doEvents', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      const seen: string[] = [];
      emitter.on('Connected', (event: { connectionId: number }) => seen.push(`connected ${event.connectionId}`));
      emitter.on('ReadyToSend', (event: { connectionId: number }) => seen.push(`ready ${event.connectionId}`));
      expect(dispatcher.immediate).to.equal(false);
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      dispatcher.dispatchEvent('ReadyToSend', { connectionId: 1 });
      dispatcher.dispatchEvent('Connected', { connectionId: 2 });
      expect(seen).to.deep.equal([]);
      expect(dispatcher.queued).to.equal(3);
      await dispatcher.doEvents();
      expect(seen).to.deep.equal(['connected 1', 'ready 1', 'connected 2']);
      expect(dispatcher.queued).to.equal(0);
    });

    it('follows ProcessIdleEvents as it changes', () => {
      const { settings, dispatcher } = setup({ ProcessIdleEvents: false });
      expect(dispatcher.immediate).to.equal(false);
      settings.put('ProcessIdleEvents', true);
      expect(dispatcher.immediate).to.equal(true);
    });

    it('queues nothing for an event nobody listens to, and listens() says so', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      expect(dispatcher.listens('Connected')).to.equal(false);
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      expect(dispatcher.queued).to.equal(0);
      emitter.on('Connected', () => undefined);
      expect(dispatcher.listens('Connected')).to.equal(true);
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      expect(dispatcher.queued).to.equal(1);
    });

    it('doEvents with something queued returns the same settled promise, not a new one per call', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      emitter.on('Connected', () => undefined);
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      const first = dispatcher.doEvents();
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      const second = dispatcher.doEvents();
      expect(first).to.equal(second);
      expect(dispatcher.queued).to.equal(0);
    });

    it('writes what the handlers of a DoEvents round sent once, at the end of the round', async () => {
      const { emitter, flusher, dispatcher } = setup({ ProcessIdleEvents: false });
      const log: string[] = [];
      const connection = { flush: () => log.push('flush') };
      emitter.on('Connected', (event: { connectionId: number }) => {
        log.push(`connected ${event.connectionId}`);
        flusher.schedule(connection);
      });
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      dispatcher.dispatchEvent('Connected', { connectionId: 2 });
      await dispatcher.doEvents();
      expect(log).to.deep.equal(['connected 1', 'connected 2', 'flush']);
    });

    it('closes its round even when an `after` step throws: doEvents rejects, and later sends go out on the next tick', async () => {
      const { emitter, flusher, dispatcher } = setup({ ProcessIdleEvents: false });
      emitter.on('ConnectionRequest', () => undefined);
      const failure = new Error('after failed');
      dispatcher.dispatchHeld('ConnectionRequest', { address: '127.0.0.1', port: 1, accept: true }, () => {
        throw failure;
      });
      let rejected: unknown;
      await dispatcher.doEvents().catch((error: unknown) => (rejected = error));
      expect(rejected).to.equal(failure);
      const connection = { flush: sinon.spy() };
      flusher.schedule(connection);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(connection.flush.calledOnce, 'flushed on the next tick').to.equal(true);
    });

    it('a waiting doEvents rejects the same way when the round it was woken for throws; doEventsAs answers with the face\'s values', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false, SelectWaitMillis: 60000 });
      emitter.on('ConnectionRequest', () => undefined);
      const failure = new Error('after failed');
      const waiting = dispatcher.doEvents().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      dispatcher.dispatchHeld('ConnectionRequest', { address: '127.0.0.1', port: 1, accept: true }, () => {
        throw failure;
      });
      expect(await waiting).to.equal(failure);

      // The compat faces' form: their own value when done, their own value for a failure, never a rejection.
      const settled = Promise.resolve('done now');
      const answer = (): Promise<string> => dispatcher.doEventsAs(() => 'done', settled, (error) => `failed: ${(error as Error).message}`);
      const woken = answer();
      dispatcher.dispatchEvent('ConnectionRequest', { address: '127.0.0.1', port: 2, accept: true });
      expect(await woken).to.equal('done');
      dispatcher.dispatchEvent('ConnectionRequest', { address: '127.0.0.1', port: 3, accept: true });
      expect(answer()).to.equal(settled);
      const failing = answer();
      dispatcher.dispatchHeld('ConnectionRequest', { address: '127.0.0.1', port: 4, accept: true }, () => {
        throw failure;
      });
      expect(await failing).to.equal('failed: after failed');
    });

    it('fires what was queued on the next turn once ProcessIdleEvents is turned on', async () => {
      const { emitter, settings, dispatcher } = setup({ ProcessIdleEvents: false });
      const seen: number[] = [];
      emitter.on('Connected', (event: { connectionId: number }) => seen.push(event.connectionId));
      dispatcher.dispatchEvent('Connected', { connectionId: 4 });
      settings.put('ProcessIdleEvents', true);
      dispatcher.switchedToImmediate();
      expect(seen).to.deep.equal([]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).to.deep.equal([4]);
    });
  });

  describe('dispatchHeld', () => {
    for (const processIdleEvents of [true, false]) {
      it(`runs \`after\` at once when nobody listens (ProcessIdleEvents=${processIdleEvents})`, () => {
        const { dispatcher } = setup({ ProcessIdleEvents: processIdleEvents });
        const after = sinon.spy();
        dispatcher.dispatchHeld('ConnectionRequest', { address: '127.0.0.1', port: 1, accept: true }, after);
        expect(after.calledOnce).to.equal(true);
        expect(dispatcher.queued).to.equal(0);
      });
    }

    it('runs `after` right after the listener with ProcessIdleEvents=true, and it reads the out-parameters', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true });
      const log: string[] = [];
      emitter.on('ConnectionRequest', (event: { accept: boolean }) => {
        log.push('listener');
        event.accept = false;
      });
      const event = { address: '127.0.0.1', port: 1, accept: true };
      dispatcher.dispatchHeld('ConnectionRequest', event, () => log.push(`after accept=${event.accept}`));
      expect(log).to.deep.equal(['listener', 'after accept=false']);
    });

    it('holds both the listener and `after` for doEvents with ProcessIdleEvents=false', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      const log: string[] = [];
      emitter.on('ConnectionRequest', (event: { accept: boolean }) => {
        log.push('listener');
        event.accept = false;
      });
      const event = { address: '127.0.0.1', port: 1, accept: true };
      dispatcher.dispatchHeld('ConnectionRequest', event, () => log.push(`after accept=${event.accept}`));
      expect(log).to.deep.equal([]);
      expect(dispatcher.queued).to.equal(1);
      await dispatcher.doEvents();
      expect(log).to.deep.equal(['listener', 'after accept=false']);
    });
  });

  describe('dispatchHeld: how a decision ends (fail closed, async handlers)', () => {
    const request = () => ({ address: '127.0.0.1', port: 1, accept: true });

    function held(overrides: Record<string, SettingValue> = {}) {
      const parts = setup({ ProcessIdleEvents: true, ...overrides });
      const errors: ErrorEvent[] = [];
      parts.emitter.on('Error', (e: ErrorEvent) => errors.push(e));
      const outcomes: boolean[] = [];
      const decide = (event = request()) => parts.dispatcher.dispatchHeld('ConnectionRequest', event, (refused) => outcomes.push(refused));
      return { ...parts, errors, outcomes, decide };
    }

    it('a listener that throws refuses at once, and the listeners after it are not called (as emit)', () => {
      const { emitter, errors, outcomes, decide } = held();
      const later = sinon.spy();
      emitter.on('ConnectionRequest', () => {
        throw new Error('no');
      });
      emitter.on('ConnectionRequest', later);
      decide();
      expect([outcomes, later.called, errors.map((e) => e.errorCode)]).to.deep.equal([[true], false, [615]]);
    });

    it('a listener that returns a promise holds the decision until it resolves, then reads what it set', async () => {
      const { emitter, outcomes, decide } = held();
      let release!: () => void;
      const event = request();
      emitter.on('ConnectionRequest', async (e: { accept: boolean }) => {
        await new Promise<void>((resolve) => (release = resolve));
        e.accept = false;
      });
      decide(event);
      await Promise.resolve();
      expect(outcomes).to.deep.equal([]);
      release();
      await eventuallyTrue(() => outcomes.length === 1);
      expect([outcomes, event.accept]).to.deep.equal([[false], false]);
    });

    it('a rejection refuses once every promise has settled; each rejection is reported once', async () => {
      const { emitter, errors, outcomes, decide } = held();
      emitter.on('ConnectionRequest', () => Promise.reject(new Error('first')));
      emitter.on('ConnectionRequest', () => Promise.reject(new Error('second')));
      decide();
      await eventuallyTrue(() => outcomes.length === 1);
      expect(outcomes).to.deep.equal([true]);
      expect(errors.map((e) => e.description)).to.deep.equal([
        'An event handler threw an exception in ConnectionRequest: first',
        'An event handler threw an exception in ConnectionRequest: second',
      ]);
    });

    it('any thenable counts, and one whose `then` getter throws is a failing listener', async () => {
      const { emitter, outcomes, decide } = held();
      emitter.once('ConnectionRequest', () => ({ then: (resolve: () => void) => setTimeout(resolve, 5) }));
      decide();
      expect(outcomes).to.deep.equal([]);
      await eventuallyTrue(() => outcomes.length === 1);
      emitter.on('ConnectionRequest', () => ({
        get then() {
          throw new Error('hostile thenable');
        },
      }));
      decide();
      expect(outcomes).to.deep.equal([false, true]);
    });

    it('a decision whose reading throws is refused: decided(false) throws, decided(true) follows', () => {
      const { emitter, dispatcher, errors } = held();
      emitter.on('ConnectionRequest', () => undefined);
      const calls: boolean[] = [];
      dispatcher.dispatchHeld('ConnectionRequest', request(), (refused) => {
        calls.push(refused);
        if (!refused) throw new Error('cannot read');
      });
      expect(calls).to.deep.equal([false, true]);
      expect(errors.map((e) => e.description)).to.deep.equal(['An event handler threw an exception in ConnectionRequest: cannot read']);
    });

    it('in DoEvents mode the listener runs from doEvents and its promise is waited for after it', async () => {
      const { emitter, dispatcher, outcomes, decide } = held({ ProcessIdleEvents: false });
      emitter.on('ConnectionRequest', () => Promise.reject(new Error('later')));
      decide();
      expect(dispatcher.queued).to.equal(1);
      await dispatcher.doEvents();
      await eventuallyTrue(() => outcomes.length === 1);
      expect(outcomes).to.deep.equal([true]);
    });
  });

  describe('dispatchAction', () => {
    it('runs at once when nothing is queued, in DoEvents mode too', () => {
      const { dispatcher } = setup({ ProcessIdleEvents: false });
      const action = sinon.spy();
      dispatcher.dispatchAction(action);
      expect(action.calledOnce).to.equal(true);
    });

    it('keeps its place behind the queued events', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      const log: string[] = [];
      emitter.on('Connected', (event: { connectionId: number }) => log.push(`connected ${event.connectionId}`));
      dispatcher.dispatchEvent('Connected', { connectionId: 1 });
      dispatcher.dispatchAction(() => log.push('action'));
      dispatcher.dispatchEvent('Connected', { connectionId: 2 });
      expect(log).to.deep.equal([]);
      await dispatcher.doEvents();
      expect(log).to.deep.equal(['connected 1', 'action', 'connected 2']);
    });

    it('runs at once with ProcessIdleEvents=true', () => {
      const { dispatcher } = setup({ ProcessIdleEvents: true });
      const action = sinon.spy();
      dispatcher.dispatchAction(action);
      expect(action.calledOnce).to.equal(true);
    });
  });

  describe('dispatchDataIn', () => {
    it('counts the bytes towards the backlog until the event fired (DoEvents mode)', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      const owner = new FakeBacklog();
      emitter.on('DataIn', (event: DataInEvent) => owner.calls.push(`DataIn ${event.text} (backlog ${owner.bytes})`));
      dispatcher.dispatchDataIn(owner, dataIn(1, 'hello'));
      dispatcher.dispatchDataIn(owner, dataIn(1, 'abc'));
      expect(owner.calls).to.deep.equal(['queued 5', 'queued 3']);
      expect(owner.bytes).to.equal(8);
      await dispatcher.doEvents();
      // Each event is paid back as it starts to fire.
      expect(owner.calls).to.deep.equal(['queued 5', 'queued 3', 'dispatched 5', 'DataIn hello (backlog 3)', 'dispatched 3', 'DataIn abc (backlog 0)']);
      expect(owner.bytes).to.equal(0);
    });

    it('fires at once and counts nothing with ProcessIdleEvents=true', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true });
      const owner = new FakeBacklog();
      const listener = sinon.spy();
      emitter.on('DataIn', listener);
      const event = dataIn(1, 'hello');
      dispatcher.dispatchDataIn(owner, event);
      expect(listener.calledOnceWithExactly(event)).to.equal(true);
      expect(owner.calls).to.deep.equal([]);
    });

    it('counts nothing and queues nothing when nobody listens to DataIn', () => {
      const { dispatcher } = setup({ ProcessIdleEvents: false });
      const owner = new FakeBacklog();
      dispatcher.dispatchDataIn(owner, dataIn(1, 'hello'));
      expect(owner.calls).to.deep.equal([]);
      expect(dispatcher.queued).to.equal(0);
    });

    it('gives the bytes back even when the DataIn listener throws', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false });
      const owner = new FakeBacklog();
      emitter.on('DataIn', () => {
        throw new Error('boom');
      });
      dispatcher.dispatchDataIn(owner, dataIn(1, 'hello'));
      await dispatcher.doEvents();
      expect(owner.calls).to.deep.equal(['queued 5', 'dispatched 5']);
    });
  });

  describe('charging other events to their connection (DoEvents mode)', () => {
    it('charges every queued event that names a connection EVENT_COST, and refunds it as it fires', async () => {
      const emitter = new EventEmitter();
      const settings = new Settings({ ProcessIdleEvents: false });
      const owner = new FakeBacklog();
      const dispatcher = new Dispatcher(emitter, settings, new FlushScheduler(), (id) => (id === 7 ? owner : null));
      for (const name of ['Ping', 'Log', 'Error', 'Disconnected'] as const) emitter.on(name, () => owner.calls.push(`fired ${name}`));
      dispatcher.dispatchEvent('Ping', { connectionId: 7, payload: '', payloadB: Buffer.alloc(0), response: false });
      dispatcher.dispatchEvent('Log', { connectionId: 7, logLevel: 1, message: 'm', logType: 'Info' });
      dispatcher.reportError(7, 600, 'x');
      dispatcher.dispatchEvent('Disconnected', { connectionId: 8, statusCode: 1000, description: '' });
      dispatcher.dispatchEvent('Log', { connectionId: 0, logLevel: 1, message: 'server', logType: 'Info' });
      expect(owner.calls).to.deep.equal(['queued 0', 'queued 0', 'queued 0']);
      await dispatcher.doEvents();
      expect(owner.calls.slice(3)).to.deep.equal([
        'dispatched 0',
        'fired Ping',
        'dispatched 0',
        'fired Log',
        'dispatched 0',
        'fired Error',
        'fired Disconnected',
        'fired Log',
      ]);
    });
  });

  describe('a listener that throws', () => {
    function listen(emitter: EventEmitter) {
      const log: string[] = [];
      const logs: LogEvent[] = [];
      const errors: ErrorEvent[] = [];
      emitter.on('Log', (event: LogEvent) => {
        log.push('Log');
        logs.push(event);
      });
      emitter.on('Error', (event: ErrorEvent) => {
        log.push('Error');
        errors.push(event);
      });
      return { log, logs, errors };
    }

    it('is reported as Error 615 and a Log line at LogLevel 1, and does not throw out of dispatch', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true, LogLevel: 1 });
      const { log, logs, errors } = listen(emitter);
      emitter.on('Connected', () => {
        throw new Error('boom');
      });
      expect(() => dispatcher.dispatchEvent('Connected', { connectionId: 9 })).not.to.throw();
      expect(log).to.deep.equal(['Log', 'Error']);
      expect(logs).to.deep.equal([{ connectionId: 9, logLevel: 1, message: 'The Connected handler threw: boom', logType: 'Error' }]);
      expect(errors).to.deep.equal([{ connectionId: 9, errorCode: 615, description: 'An event handler threw an exception in Connected: boom' }]);
    });

    it('is reported without a Log line at LogLevel 0', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true, LogLevel: 0 });
      const { log, errors } = listen(emitter);
      emitter.on('Connected', () => {
        throw 'not an Error';
      });
      dispatcher.dispatchEvent('Connected', { connectionId: 2 });
      expect(log).to.deep.equal(['Error']);
      expect(errors[0]).to.include({ connectionId: 2, errorCode: 615 });
      expect(errors[0]!.description).to.contain('not an Error');
    });

    it('is reported after its event in DoEvents mode, in the same doEvents call', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false, LogLevel: 1 });
      const { log, errors } = listen(emitter);
      emitter.on('ReadyToSend', () => {
        log.push('ReadyToSend');
        throw new Error('boom');
      });
      dispatcher.dispatchEvent('ReadyToSend', { connectionId: 5 });
      await dispatcher.doEvents();
      expect(log).to.deep.equal(['ReadyToSend', 'Log', 'Error']);
      expect(errors[0]).to.include({ connectionId: 5, errorCode: 615 });
      expect(dispatcher.queued).to.equal(0);
    });

    it('an Error listener that throws is never reported through Error itself (nor through Log)', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true, LogLevel: 3 });
      const logs: LogEvent[] = [];
      emitter.on('Log', (event: LogEvent) => logs.push(event));
      const errorListener = sinon.spy(() => {
        throw new Error('in Error');
      });
      emitter.on('Error', errorListener);
      expect(() => dispatcher.reportError(1, 600, 'x')).not.to.throw();
      expect(errorListener.callCount).to.equal(1);
      expect(logs).to.deep.equal([]);
    });

    it('a Log listener that throws is reported through Error, not through Log again', () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: true, LogLevel: 1 });
      const logListener = sinon.spy(() => {
        throw new Error('in Log');
      });
      emitter.on('Log', logListener);
      const errors: ErrorEvent[] = [];
      emitter.on('Error', (event: ErrorEvent) => errors.push(event));
      dispatcher.dispatchEvent('Log', { connectionId: 3, logLevel: 1, message: 'hi', logType: 'Info' });
      expect(logListener.callCount).to.equal(1);
      expect(errors).to.deep.equal([{ connectionId: 3, errorCode: 615, description: 'An event handler threw an exception in Log: in Log' }]);
    });
  });

  describe('doEvents with nothing queued', () => {
    let clock: sinon.SinonFakeTimers;

    beforeEach(() => {
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });

    afterEach(() => clock.restore());

    it('waits up to SelectWaitMillis', async () => {
      const { dispatcher } = setup({ ProcessIdleEvents: false, SelectWaitMillis: 50 });
      let done = false;
      const waiting = dispatcher.doEvents().then(() => (done = true));
      await clock.tickAsync(49);
      expect(done, 'after 49 ms').to.equal(false);
      await clock.tickAsync(1);
      expect(done, 'after 50 ms').to.equal(true);
      await waiting;
    });

    it('resolves early when something is pushed, and fires it', async () => {
      const { emitter, dispatcher } = setup({ ProcessIdleEvents: false, SelectWaitMillis: 50 });
      const seen: number[] = [];
      emitter.on('Connected', (event: { connectionId: number }) => seen.push(event.connectionId));
      let done = false;
      const waiting = dispatcher.doEvents().then(() => (done = true));
      await clock.tickAsync(10);
      expect(done).to.equal(false);
      dispatcher.dispatchEvent('Connected', { connectionId: 7 });
      await waiting;
      expect(clock.now).to.equal(10);
      expect(seen).to.deep.equal([7]);
      expect(dispatcher.queued).to.equal(0);
    });
  });
});

async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(check()).to.equal(true);
}
