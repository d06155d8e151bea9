import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import sinon from 'sinon';
import { Dispatcher } from '../../lib/server/dispatcher';
import type { LogEvent } from '../../lib/server/events';
import { FlushScheduler } from '../../lib/server/flush-scheduler';
import { Logger } from '../../lib/server/logger';
import { Settings, type SettingValue } from '../../lib/server/settings';

/** A logger over a real dispatcher that fires at once; `entries` collects the Log events when `listen`. */
function setup(overrides: Record<string, SettingValue>, listen = true) {
  const emitter = new EventEmitter();
  const settings = new Settings({ ProcessIdleEvents: true, ...overrides });
  const dispatcher = new Dispatcher(emitter, settings, new FlushScheduler());
  const logger = new Logger(settings, dispatcher);
  const entries: LogEvent[] = [];
  if (listen) emitter.on('Log', (event: LogEvent) => entries.push(event));
  return { emitter, settings, dispatcher, logger, entries };
}

/** A value that fails the test as soon as anything reads it (proves the message was not built). */
function untouchable<T>(): T {
  return new Proxy(
    {},
    {
      get() {
        throw new Error('read although nobody logs');
      },
    },
  ) as T;
}

const bytes = (count: number, from = 0) => Buffer.from(Array.from({ length: count }, (_, i) => (from + i) & 0xff));

describe('Logger', () => {
  afterEach(() => sinon.restore());

  describe('nothing is built that nobody reads', () => {
    it('logs() is false without a Log listener, at any level', () => {
      const { logger } = setup({ LogLevel: 3 }, false);
      expect([logger.logs(1), logger.logs(2), logger.logs(3)]).to.deep.equal([false, false, false]);
    });

    it('logs() is true up to LogLevel only', () => {
      const { logger } = setup({ LogLevel: 2 });
      expect([logger.logs(1), logger.logs(2), logger.logs(3)]).to.deep.equal([true, true, false]);
    });

    it('no Log listener: no event is dispatched and no input is read', () => {
      const { dispatcher, logger } = setup({ LogLevel: 3 }, false);
      const dispatch = sinon.spy(dispatcher, 'dispatchEvent');
      logger.log(1, 1, 'hello', 'Info');
      logger.logHeaders(1, untouchable());
      logger.logIncoming(1, untouchable());
      logger.logOutgoing(1, untouchable(), 2, 10);
      expect(dispatch.called).to.equal(false);
    });

    it('above LogLevel: no event is dispatched and no input is read', () => {
      const { dispatcher, logger, entries } = setup({ LogLevel: 1 });
      const dispatch = sinon.spy(dispatcher, 'dispatchEvent');
      logger.log(1, 2, 'verbose', 'Verbose');
      logger.logHeaders(1, untouchable());
      logger.logIncoming(1, untouchable());
      logger.logOutgoing(1, untouchable(), 2, 10);
      expect(dispatch.called).to.equal(false);
      expect(entries).to.deep.equal([]);
    });

    it('LogLevel 0 logs nothing at all', () => {
      const { logger, entries } = setup({ LogLevel: 0 });
      logger.log(1, 1, 'info', 'Info');
      expect(entries).to.deep.equal([]);
    });
  });

  it('log() fires the Log event with its fields', () => {
    const { logger, entries } = setup({ LogLevel: 1 });
    logger.log(4, 1, 'Connection accepted', 'Info');
    expect(entries).to.deep.equal([{ connectionId: 4, logLevel: 1, message: 'Connection accepted', logType: 'Info' }]);
  });

  describe('logHeaders (LogLevel 2)', () => {
    const headers: Array<[string, string]> = [
      ['Host', 'example.com'],
      ['Authorization', 'Basic dXNlcjpwYXNz'],
      ['cookie', 'session=abc'],
      ['Proxy-Authorization', 'Bearer xyz'],
      ['SET-COOKIE', 'a=b'],
      ['X-Token', 'visible'],
    ];

    it('logs each header as a Verbose line, secrets masked with MaskSensitive=true', () => {
      const { logger, entries } = setup({ LogLevel: 2, MaskSensitive: true });
      logger.logHeaders(3, headers);
      expect(entries.map((e) => e.message)).to.deep.equal([
        'Host: example.com',
        'Authorization: ********',
        'cookie: ********',
        'Proxy-Authorization: ********',
        'SET-COOKIE: ********',
        'X-Token: visible',
      ]);
      for (const entry of entries) expect(entry).to.include({ connectionId: 3, logLevel: 2, logType: 'Verbose' });
    });

    it('shows every value with MaskSensitive=false', () => {
      const { logger, entries } = setup({ LogLevel: 2, MaskSensitive: false });
      logger.logHeaders(3, headers);
      expect(entries.map((e) => e.message)).to.deep.equal(headers.map(([name, value]) => `${name}: ${value}`));
    });
  });

  describe('logIncoming and logOutgoing (LogLevel 3)', () => {
    it('logIncoming shows up to 32 bytes in hex, without … when that is all', () => {
      const { logger, entries } = setup({ LogLevel: 3 });
      logger.logIncoming(2, Buffer.from([0x81, 0x02, 0x68, 0x69]));
      logger.logIncoming(2, bytes(32));
      expect(entries.map((e) => e.message)).to.deep.equal(['Received 4 bytes: 81026869', `Received 32 bytes: ${bytes(32).toString('hex')}`]);
      expect(entries[0]).to.include({ connectionId: 2, logLevel: 3, logType: 'Debug' });
    });

    it('logIncoming shows the first 32 bytes and … beyond', () => {
      const { logger, entries } = setup({ LogLevel: 3 });
      logger.logIncoming(2, bytes(100));
      expect(entries.map((e) => e.message)).to.deep.equal([`Received 100 bytes: ${bytes(32).toString('hex')}…`]);
    });

    it('logOutgoing shows one chunk like logIncoming', () => {
      const { logger, entries } = setup({ LogLevel: 3 });
      logger.logOutgoing(5, [bytes(40)], 1, 40);
      logger.logOutgoing(5, [Buffer.from('ab')], 1, 2);
      expect(entries.map((e) => e.message)).to.deep.equal([`Sent 40 bytes: ${bytes(32).toString('hex')}…`, 'Sent 2 bytes: 6162']);
      expect(entries[0]).to.include({ connectionId: 5, logLevel: 3, logType: 'Debug' });
    });

    it('logOutgoing joins the head over several chunks, with … beyond 32 bytes', () => {
      const { logger, entries } = setup({ LogLevel: 3 });
      const chunks = [bytes(10, 0), bytes(10, 10), bytes(20, 20)];
      logger.logOutgoing(5, chunks, 3, 40);
      expect(entries.map((e) => e.message)).to.deep.equal([`Sent 40 bytes: ${bytes(32).toString('hex')}…`]);
    });

    it('logOutgoing uses only the first `count` chunks and the given total', () => {
      const { logger, entries } = setup({ LogLevel: 3 });
      const chunks = [Buffer.from([1, 2]), Buffer.from([3]), Buffer.from([0xee, 0xee])];
      logger.logOutgoing(5, chunks, 2, 3);
      expect(entries.map((e) => e.message)).to.deep.equal(['Sent 3 bytes: 010203']);
    });

    it('logOutgoing of exactly 32 bytes over chunks shows them all, without …', () => {
      const { logger, entries } = setup({ LogLevel: 3 });
      logger.logOutgoing(5, [bytes(16, 0), bytes(16, 16)], 2, 32);
      expect(entries.map((e) => e.message)).to.deep.equal([`Sent 32 bytes: ${bytes(32).toString('hex')}`]);
    });
  });
});
