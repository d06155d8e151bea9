import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import sinon from 'sinon';
import { Dispatcher } from '../../lib/server/dispatcher';
import type { LogEvent } from '../../lib/server/events';
import { FlushScheduler } from '../../lib/server/flush-scheduler';
import { Logger } from '../../lib/server/logger';
import { ReadHold } from '../../lib/server/read-gate';
import { LINGER_MS, SocketDriver, type SocketOwner } from '../../lib/server/socket-driver';
import { Settings } from '../../lib/server/settings';

/** The part of a net.Socket the driver uses; records what it was told, in order. */
class FakeSocket extends EventEmitter {
  calls: string[] = [];
  /** What each write() got, as given. */
  writes: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  remoteAddress: string | undefined = '::ffff:127.0.0.1';
  remotePort: number | undefined = 50123;
  localAddress: string | undefined = '::ffff:10.0.0.2';
  timeout = -1;

  write(data: Buffer): boolean {
    this.calls.push(`write ${data.length}`);
    this.writes.push(data);
    return true;
  }
  end(data?: Buffer): this {
    this.calls.push(data ? `end ${data.length}` : 'end');
    return this;
  }
  destroy(): this {
    this.calls.push('destroy');
    this.destroyed = true;
    return this;
  }
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
  pause(): this {
    this.calls.push('pause');
    return this;
  }
  resume(): this {
    this.calls.push('resume');
    return this;
  }
  setTimeout(ms: number): this {
    this.timeout = ms;
    return this;
  }
}

class FakeOwner implements SocketOwner {
  readonly connectionId = 7;
  holdsOutput = false;
  onSocketData = sinon.spy();
  onSocketEnd = sinon.spy();
  onSocketClose = sinon.spy();
  onSocketError = sinon.spy();
  onSocketTimeout = sinon.spy();
  outBufferSize = 1000;
  outputCap = 5000;
  onOutputOverflow = sinon.spy();
  outputHeld = sinon.spy();
}

function setup(logLevel = 1) {
  const socket = new FakeSocket();
  const owner = new FakeOwner();
  const emitter = new EventEmitter();
  const settings = new Settings({ ProcessIdleEvents: true, LogLevel: logLevel });
  const flusher = new FlushScheduler();
  const logger = new Logger(settings, new Dispatcher(emitter, settings, flusher));
  const driver = new SocketDriver(owner, socket as unknown as Socket, flusher, logger);
  return { socket, owner, emitter, flusher, driver };
}

function nextTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

const piece = (length: number, fill: number) => Buffer.alloc(length, fill);

describe('SocketDriver', () => {
  afterEach(() => sinon.restore());

  describe('socket events', () => {
    it('reports data, end, close and error to its owner', () => {
      const { socket, owner } = setup();
      const chunk = Buffer.from('hi');
      const error = new Error('reset');
      socket.emit('data', chunk);
      socket.emit('end');
      socket.emit('error', error);
      socket.emit('close');
      expect(owner.onSocketData.calledOnceWithExactly(chunk)).to.equal(true);
      expect(owner.onSocketEnd.calledOnce).to.equal(true);
      expect(owner.onSocketError.calledOnceWithExactly(error)).to.equal(true);
      expect(owner.onSocketClose.calledOnce).to.equal(true);
    });

    it('starts with reading held for Admission', () => {
      const { driver } = setup();
      expect(driver.gate.reasons).to.equal(ReadHold.Admission);
    });

    it('setIdleTimeout: a timeout is reported once set, and not after it was removed', () => {
      const { socket, owner, driver } = setup();
      driver.setIdleTimeout(5000);
      expect(socket.timeout).to.equal(5000);
      socket.emit('timeout');
      expect(owner.onSocketTimeout.callCount).to.equal(1);
      driver.setIdleTimeout(5000);
      driver.setIdleTimeout(0);
      expect(socket.timeout).to.equal(0);
      socket.emit('timeout');
      expect(owner.onSocketTimeout.callCount).to.equal(1);
    });

    it('useSocket: the new socket reports to the owner, the old one no longer does', () => {
      const { socket, owner, driver } = setup();
      const tls = new FakeSocket();
      driver.useSocket(tls as unknown as Socket);
      expect(driver.rawSocket).to.equal(tls);
      socket.emit('data', Buffer.from('old'));
      tls.emit('data', Buffer.from('new'));
      expect(owner.onSocketData.callCount).to.equal(1);
      expect(owner.onSocketData.firstCall.args[0].toString()).to.equal('new');
    });
  });

  describe('writes inside a batch', () => {
    it('go out in one socket.write, joined, at the end of the batch', async () => {
      const { socket, driver } = setup();
      const schedule = sinon.spy(FlushScheduler.prototype, 'schedule');
      expect(driver.beginBatch()).to.equal(false);
      expect(driver.inBatch).to.equal(true);
      driver.write(Buffer.from('ab'));
      driver.write(Buffer.from('cd'));
      driver.write(Buffer.from('e'));
      expect(socket.writes).to.deep.equal([]);
      expect(driver.gatheredBytes).to.equal(5);
      driver.endBatch(false);
      expect(socket.calls).to.deep.equal(['write 5']);
      expect(socket.writes[0]!.toString()).to.equal('abcde');
      expect(driver.gatheredBytes).to.equal(0);
      expect(driver.inBatch).to.equal(false);
      expect(schedule.called, 'no flush scheduled').to.equal(false);
      await nextTick();
      expect(socket.calls).to.deep.equal(['write 5']);
    });

    it('a single piece is written as it is', () => {
      const { socket, driver } = setup();
      const data = Buffer.from('only');
      const outer = driver.beginBatch();
      driver.write(data);
      driver.endBatch(outer);
      expect(socket.writes).to.have.length(1);
      expect(socket.writes[0]).to.equal(data);
    });

    it('only the outermost endBatch writes', () => {
      const { socket, driver } = setup();
      const outer = driver.beginBatch();
      driver.write(Buffer.from('a'));
      const inner = driver.beginBatch();
      expect(inner).to.equal(true);
      driver.write(Buffer.from('b'));
      driver.endBatch(inner);
      expect(driver.inBatch).to.equal(true);
      expect(socket.writes).to.deep.equal([]);
      driver.endBatch(outer);
      expect(socket.writes.map(String)).to.deep.equal(['ab']);
    });

    it('pieces just under 1024 B are still joined into one write, without cork', () => {
      const { socket, driver } = setup();
      const outer = driver.beginBatch();
      driver.write(piece(1023, 1));
      driver.write(piece(1023, 2));
      driver.endBatch(outer);
      expect(socket.calls).to.deep.equal(['write 2046']);
    });

    it('a large piece (>= 1024 B) is written as it is, between cork and uncork, the small ones around it joined', () => {
      const { socket, driver } = setup();
      const large = piece(1024, 9);
      const outer = driver.beginBatch();
      driver.write(piece(2, 1));
      driver.write(large);
      driver.write(piece(3, 2));
      driver.write(piece(4, 3));
      driver.endBatch(outer);
      expect(socket.calls).to.deep.equal(['cork', 'write 2', 'write 1024', 'write 7', 'uncork']);
      expect(socket.writes[1]).to.equal(large);
      expect(socket.writes[2]!.toString('hex')).to.equal('02020203030303');
    });

    it('two large pieces in a row are two writes of their own', () => {
      const { socket, driver } = setup();
      const a = piece(2048, 1);
      const b = piece(4096, 2);
      const outer = driver.beginBatch();
      driver.write(a);
      driver.write(b);
      driver.endBatch(outer);
      expect(socket.calls).to.deep.equal(['cork', 'write 2048', 'write 4096', 'uncork']);
      expect(socket.writes[0]).to.equal(a);
      expect(socket.writes[1]).to.equal(b);
    });

    it('small pieces beyond 64 KiB in all are joined into buffers of at most 64 KiB, between cork and uncork', () => {
      const { socket, driver } = setup();
      const outer = driver.beginBatch();
      for (let i = 0; i < 70; i++) driver.write(piece(1000, i));
      driver.endBatch(outer);
      expect(socket.calls).to.deep.equal(['cork', 'write 65000', 'write 5000', 'uncork']);
      const written = Buffer.concat(socket.writes);
      expect([written[0], written[999], written[1000], written[69999]]).to.deep.equal([0, 0, 1, 69]);
    });

    it('logs one Log line per batch at LogLevel 3', () => {
      const { emitter, driver } = setup(3);
      const entries: LogEvent[] = [];
      emitter.on('Log', (event: LogEvent) => entries.push(event));
      const outer = driver.beginBatch();
      driver.write(Buffer.from([1, 2]));
      driver.write(Buffer.from([3]));
      driver.endBatch(outer);
      expect(entries.map((e) => [e.connectionId, e.message])).to.deep.equal([[7, 'Sent 3 bytes: 010203']]);
    });
  });

  describe('writes outside a batch', () => {
    it('are flushed once, on the next tick, in one write', async () => {
      const { socket, driver } = setup();
      const flush = sinon.spy(driver, 'flush');
      driver.write(Buffer.from('ab'));
      driver.write(Buffer.from('cd'));
      expect(socket.writes).to.deep.equal([]);
      expect(driver.queuedBytes).to.equal(4);
      await nextTick();
      expect(flush.callCount).to.equal(1);
      expect(socket.writes.map(String)).to.deep.equal(['abcd']);
      await nextTick();
      expect(flush.callCount).to.equal(1);
    });

    it('queuedBytes counts what is gathered and what the socket holds', () => {
      const { socket, driver } = setup();
      socket.writableLength = 100;
      driver.write(Buffer.alloc(10));
      expect([driver.gatheredBytes, driver.queuedBytes]).to.deep.equal([10, 110]);
    });

    it('nothing is written to a destroyed socket', async () => {
      const { socket, driver } = setup();
      driver.write(Buffer.from('lost'));
      socket.destroyed = true;
      await nextTick();
      expect(socket.writes).to.deep.equal([]);
      expect(driver.gatheredBytes).to.equal(0);
    });
  });

  describe('endAfterOutput', () => {
    let clock: sinon.SinonFakeTimers;

    beforeEach(() => {
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });

    afterEach(() => clock.restore());

    it('holds the read gate with ReadHold.Ended and ends the socket after the output', async () => {
      const { socket, driver } = setup();
      driver.gate.release(ReadHold.Admission);
      socket.calls = [];
      driver.write(Buffer.from('close frame'));
      driver.endAfterOutput();
      expect(driver.gate.isHeld(ReadHold.Ended)).to.equal(true);
      expect(driver.ending).to.equal(true);
      expect(socket.calls).to.deep.equal(['pause']);
      await nextTick();
      expect(socket.calls).to.deep.equal(['pause', 'write 11', 'end']);
      expect(driver.ending).to.equal(false);
    });

    it('ends at the next flush when nothing more is written', () => {
      const { socket, driver } = setup();
      driver.endAfterOutput();
      expect(socket.calls).to.deep.equal([]);
      driver.flush();
      expect(socket.calls).to.deep.equal(['end']);
      driver.flush();
      expect(socket.calls).to.deep.equal(['end']);
    });

    it('waits while the owner holds output back, and ends once it no longer does', async () => {
      const { socket, owner, driver } = setup();
      owner.holdsOutput = true;
      driver.write(Buffer.from('a'));
      driver.endAfterOutput();
      await nextTick();
      expect(socket.calls).to.deep.equal(['write 1']);
      expect(driver.ending).to.equal(true);
      owner.holdsOutput = false;
      driver.write(Buffer.from('b'));
      await nextTick();
      expect(socket.calls).to.deep.equal(['write 1', 'write 1', 'end']);
    });

    it('destroys the socket LINGER_MS after our FIN unless it closed by then', () => {
      const { socket, driver } = setup();
      driver.endAfterOutput();
      driver.flush();
      clock.tick(LINGER_MS - 1);
      expect(socket.destroyed).to.equal(false);
      clock.tick(1);
      expect(socket.calls).to.deep.equal(['end', 'destroy']);
    });

    it('does not destroy a socket that closed during the linger', () => {
      const { socket, driver } = setup();
      driver.endAfterOutput();
      driver.flush();
      socket.emit('close');
      clock.tick(LINGER_MS * 2);
      expect(socket.calls).to.deep.equal(['end']);
    });

    it('does not end a destroyed socket', () => {
      const { socket, driver } = setup();
      driver.endAfterOutput();
      socket.destroyed = true;
      driver.flush();
      expect(socket.calls).to.deep.equal([]);
    });
  });

  describe('addresses', () => {
    it("shows IPv4 clients in dotted form ('::ffff:127.0.0.1' → '127.0.0.1')", () => {
      const { driver } = setup();
      expect([driver.remoteHost, driver.remotePort, driver.localAddress]).to.deep.equal(['127.0.0.1', 50123, '10.0.0.2']);
    });

    it('leaves IPv6 addresses as they are', () => {
      const { socket, driver } = setup();
      socket.remoteAddress = '::1';
      socket.localAddress = '::ffff:abcd:1';
      expect([driver.remoteHost, driver.localAddress]).to.deep.equal(['::1', '::ffff:abcd:1']);
    });

    it('remembers the addresses when the socket closes, after which the socket no longer knows them', () => {
      const { socket, driver } = setup();
      socket.emit('close');
      socket.remoteAddress = undefined;
      socket.remotePort = undefined;
      socket.localAddress = undefined;
      expect([driver.remoteHost, driver.remotePort, driver.localAddress]).to.deep.equal(['127.0.0.1', 50123, '10.0.0.2']);
    });

    it('shows the client a proxy names from then on, keeping the socket port when none is given', () => {
      const { driver } = setup();
      driver.useClientAddress('198.51.100.4', null);
      expect([driver.remoteHost, driver.remotePort, driver.localAddress]).to.deep.equal(['198.51.100.4', 50123, '10.0.0.2']);
      driver.useClientAddress('2001:db8::4', 4711);
      expect([driver.remoteHost, driver.remotePort]).to.deep.equal(['2001:db8::4', 4711]);
    });

    it("shows '' and port 0 for a socket that never knew its addresses", () => {
      const { socket, driver } = setup();
      socket.remoteAddress = undefined;
      socket.remotePort = undefined;
      socket.localAddress = undefined;
      expect([driver.remoteHost, driver.remotePort, driver.localAddress]).to.deep.equal(['', 0, '']);
    });
  });
});

describe('SocketDriver output budget', () => {
  it('stops reading while the socket holds more than OutBufferSize, until it drains', () => {
    const { socket, owner, driver } = setup();
    driver.gate.release(ReadHold.Admission);
    socket.writableLength = 1001;
    driver.write(Buffer.alloc(10));
    driver.flush();
    expect(driver.gate.isHeld(ReadHold.Output)).to.equal(true);
    driver.write(Buffer.alloc(10));
    driver.flush();
    expect(owner.outputHeld.callCount, 'one budget hit per hold, for the metrics').to.equal(1);
    socket.writableLength = 0;
    socket.emit('drain');
    expect([driver.gate.isHeld(ReadHold.Output), socket.calls.at(-1)]).to.deep.equal([false, 'resume']);
  });

  it('keeps reading at OutBufferSize or below', () => {
    const { socket, driver } = setup();
    socket.writableLength = 1000;
    driver.write(Buffer.alloc(10));
    driver.flush();
    expect(driver.gate.isHeld(ReadHold.Output)).to.equal(false);
  });

  it('tells its owner when more than the cap waits, and holds nothing itself', () => {
    const { socket, owner, driver } = setup();
    socket.writableLength = 5001;
    driver.write(Buffer.alloc(10));
    driver.flush();
    expect(owner.onOutputOverflow.calledOnceWithExactly(5001)).to.equal(true);
    expect(driver.gate.isHeld(ReadHold.Output)).to.equal(false);
  });
});
