import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import sinon from 'sinon';
import type { TlsLayer } from '../../lib/tls/tls-layer';
import { Acceptor, type ListenOptions } from '../../lib/server/acceptor';
import { parseClientList } from '../../lib/server/client-filter';
import { Phase } from '../../lib/server/connection-base';
import { Dispatcher } from '../../lib/server/dispatcher';
import type { EngineContext } from '../../lib/server/engine-context';
import { WSServerError } from '../../lib/server/errors';
import type { ConnectionRequestEvent, ErrorEvent, LogEvent } from '../../lib/server/events';
import { FlushScheduler } from '../../lib/server/flush-scheduler';
import { Logger } from '../../lib/server/logger';
import { ServerCounters } from '../../lib/server/server-counters';
import { ReadTurns } from '../../lib/server/read-clock';
import { ReadHold } from '../../lib/server/read-gate';
import { ConnectionRegistry } from '../../lib/server/registry';
import { Settings, type SettingValue } from '../../lib/server/settings';
import type { WSConnection } from '../../lib/server/ws-connection';
import { RawClient } from '../helpers/raw-client';
import { rejection, socketOutcome, tcpConnect } from '../helpers/engine';
import { delay, eventually } from '../helpers/server';

const acceptors: Acceptor[] = [];
const clients: Array<{ destroy(): void }> = [];

/** An acceptor over the real engine parts (settings, dispatcher, logger …) and an emitter for the events. */
function setup(overrides: Record<string, SettingValue> = {}) {
  const emitter = new EventEmitter();
  const settings = new Settings({ ProcessIdleEvents: true, ...overrides });
  const flusher = new FlushScheduler();
  const dispatcher = new Dispatcher(emitter, settings, flusher);
  const logger = new Logger(settings, dispatcher);
  const registry = new ConnectionRegistry();
  const engine: EngineContext = {
    settings,
    dispatcher,
    logger,
    flusher,
    turns: new ReadTurns(),
    metrics: new ServerCounters(),
    defaultTimeout: 0,
    get clients() {
      return acceptor;
    },
    connectionClosed: (id) => registry.delete(id),
  };
  const acceptor = new Acceptor(engine, registry);
  acceptors.push(acceptor);
  const logs: LogEvent[] = [];
  emitter.on('Log', (e: LogEvent) => logs.push(e));
  return { emitter, settings, dispatcher, registry, acceptor, logs };
}

const LOOPBACK: ListenOptions = { host: '127.0.0.1', port: 0, backlog: 5, ipv6Only: false };

async function listening(overrides: Record<string, SettingValue> = {}) {
  const parts = setup(overrides);
  await parts.acceptor.listen(LOOPBACK, null);
  return { ...parts, port: parts.acceptor.boundPort };
}

async function connect(port: number): Promise<Socket> {
  const socket = await tcpConnect(port);
  clients.push(socket);
  return socket;
}

async function open(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  clients.push(client);
  return client;
}

function only(registry: ConnectionRegistry): WSConnection {
  expect(registry.size).to.equal(1);
  return [...registry.values()][0]!;
}

describe('Acceptor', () => {
  afterEach(async () => {
    sinon.restore();
    for (const client of clients.splice(0)) client.destroy();
    for (const acceptor of acceptors.splice(0)) acceptor.stop();
    await delay(5);
  });

  describe('listen and stop', () => {
    it('binds, shows the port it got, and accepts WebSocket clients', async () => {
      const { acceptor, registry, port } = await listening();
      expect([acceptor.active, port > 0]).to.deep.equal([true, true]);
      await open(port);
      const connection = only(registry);
      expect([connection.connectionId, connection.connected]).to.deep.equal([1, true]);
    });

    it('gives each connection the next id', async () => {
      const { registry, port } = await listening();
      await open(port);
      await open(port);
      expect([...registry.values()].map((c) => c.connectionId)).to.deep.equal([1, 2]);
    });

    it('a port in use fails with 10048, and nothing is left listening', async () => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        const { acceptor } = setup();
        const error = await rejection(acceptor.listen({ ...LOOPBACK, port }, null));
        expect(error).to.be.instanceOf(WSServerError);
        expect(error.code).to.equal(10048);
        expect(acceptor.active).to.equal(false);
      } finally {
        blocker.close();
      }
    });

    it('stop: no new connections, existing ones keep working; a second stop says nothing was listening', async () => {
      const { emitter, acceptor, registry, port } = await listening();
      const client = await open(port);
      expect(acceptor.stop()).to.equal(true);
      expect([acceptor.active, acceptor.stop()]).to.deep.equal([false, false]);
      const error = await rejection(tcpConnect(port));
      expect(error.code).to.equal('ECONNREFUSED');
      only(registry);
      client.sendText('still here');
      const seen: string[] = [];
      emitter.on('DataIn', (e: { text: string }) => seen.push(e.text));
      await eventually(() => seen.length === 1);
      expect(seen).to.deep.equal(['still here']);
    });

    it('an error of the listening socket is reported through Error with connection 0', async () => {
      const { emitter, acceptor } = await listening();
      const errors: ErrorEvent[] = [];
      emitter.on('Error', (e: ErrorEvent) => errors.push(e));
      // What Node emits when accept() fails for lack of file descriptors.
      (acceptor as unknown as { listener: Server }).listener.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
      expect(errors.map((e) => [e.connectionId, e.errorCode])).to.deep.equal([[0, 10024]]);
      expect(acceptor.active).to.equal(true);
    });
  });

  describe('accepting', () => {
    it('admits a connection with no client lists and no ConnectionRequest listener: the upgrade request is read', async () => {
      const { registry, port } = await listening();
      await connect(port);
      await eventually(() => registry.size === 1);
      const connection = only(registry);
      expect([connection.stage, connection.driver.gate.reasons]).to.deep.equal([Phase.Handshake, 0]);
    });

    it('MaxConnections reached: the TCP connection is dropped before it is a connection, and logged', async () => {
      const { registry, logs, port } = await listening({ MaxConnections: 1 });
      await open(port);
      const extra = await connect(port);
      const outcome = await socketOutcome(extra);
      expect(outcome.data).to.have.length(0);
      expect(registry.size).to.equal(1);
      expect(logs.map((e) => [e.connectionId, e.message, e.logType])).to.deep.include([0, 'Connection from 127.0.0.1 refused: MaxConnections (1) reached.', 'Error']);
    });

    it('sets TcpNoDelay and KeepAliveTime on the accepted socket', async () => {
      const noDelay = sinon.spy(Socket.prototype, 'setNoDelay');
      const keepAlive = sinon.spy(Socket.prototype, 'setKeepAlive');
      const { registry, port } = await listening({ TcpNoDelay: true, KeepAliveTime: 30000 });
      await connect(port);
      await eventually(() => registry.size === 1);
      const socket = only(registry).rawSocket;
      expect(noDelay.calledOn(socket) && noDelay.calledWith(true)).to.equal(true);
      expect(keepAlive.calledOn(socket) && keepAlive.calledWith(true, 30000)).to.equal(true);
    });

    it('leaves the socket options alone by default', async () => {
      const noDelay = sinon.spy(Socket.prototype, 'setNoDelay');
      const keepAlive = sinon.spy(Socket.prototype, 'setKeepAlive');
      const { registry, port } = await listening();
      await connect(port);
      await eventually(() => registry.size === 1);
      const socket = only(registry).rawSocket;
      expect([noDelay.calledOn(socket), keepAlive.calledOn(socket)]).to.deep.equal([false, false]);
    });
  });

  describe('ConnectionRequest', () => {
    it('fires with the address and port, accept true by default', async () => {
      const { emitter, registry, port } = await listening();
      const requests: ConnectionRequestEvent[] = [];
      emitter.on('ConnectionRequest', (e: ConnectionRequestEvent) => requests.push({ ...e }));
      const socket = await connect(port);
      await eventually(() => registry.size === 1 && only(registry).stage === Phase.Handshake);
      expect(requests).to.deep.equal([{ address: '127.0.0.1', port: socket.localPort, accept: true }]);
    });

    it('accept=false: the connection is refused before anything is read, and logged', async () => {
      const { emitter, registry, logs, port } = await listening();
      emitter.on('ConnectionRequest', (e: ConnectionRequestEvent) => (e.accept = false));
      const socket = await connect(port);
      const outcome = await socketOutcome(socket);
      expect(outcome.data).to.have.length(0);
      await eventually(() => registry.size === 0);
      expect(logs.map((e) => e.message)).to.include('Connection from 127.0.0.1 refused.');
    });

    it('BlockedClients matching: refused without a listener; a listener may still accept', async () => {
      const { emitter, acceptor, registry, port } = await listening();
      acceptor.blocked = parseClientList('127.0.0.1');
      expect((await socketOutcome(await connect(port))).data).to.have.length(0);
      await eventually(() => registry.size === 0);
      const defaults: boolean[] = [];
      emitter.on('ConnectionRequest', (e: ConnectionRequestEvent) => {
        defaults.push(e.accept);
        e.accept = true;
      });
      await open(port);
      expect([defaults, registry.size]).to.deep.equal([[false], 1]);
    });

    it('AllowedClients: a client outside the list is refused, one inside it is admitted', async () => {
      const { acceptor, registry, port } = await listening();
      acceptor.allowed = parseClientList('10.0.0.0/8');
      expect((await socketOutcome(await connect(port))).data).to.have.length(0);
      await eventually(() => registry.size === 0);
      acceptor.allowed = parseClientList('10.0.0.0/8, 127.0.0.0/8');
      await open(port);
      expect(registry.size).to.equal(1);
    });

    it('held in DoEvents mode: nothing is read until the event has fired', async () => {
      const { emitter, dispatcher, registry, port } = await listening({ ProcessIdleEvents: false });
      emitter.on('ConnectionRequest', () => undefined);
      await connect(port);
      await eventually(() => registry.size === 1);
      const connection = only(registry);
      expect([connection.stage, connection.driver.gate.isHeld(ReadHold.Admission)]).to.deep.equal([Phase.Requested, true]);
      await dispatcher.doEvents();
      expect([connection.stage, connection.driver.gate.reasons]).to.deep.equal([Phase.Handshake, 0]);
    });
  });

  describe('with TLS', () => {
    it('lets the TLS layer read first, and reads the upgrade request once it proceeds', async () => {
      const parts = setup();
      const begun: Array<[WSConnection, () => void]> = [];
      const layer = { begin: (peer: WSConnection, proceed: () => void) => begun.push([peer, proceed]) } as unknown as TlsLayer;
      await parts.acceptor.listen(LOOPBACK, layer);
      await connect(parts.acceptor.boundPort);
      await eventually(() => begun.length === 1);
      const [connection, proceed] = begun[0]!;
      expect(connection).to.equal(only(parts.registry));
      // Admitted for the TLS layer's own reading; the upgrade request is not read yet.
      expect([connection.stage, connection.driver.gate.isHeld(ReadHold.Admission)]).to.deep.equal([Phase.Requested, false]);
      proceed();
      expect(connection.stage).to.equal(Phase.Handshake);
    });
  });
});
