/**
 * Decisions fail closed, and may be asynchronous (issue 12): ConnectionRequest and WebSocketOpenRequest
 * over real sockets, in both dispatch modes. A handler that throws or rejects refuses; a handler that
 * returns a promise holds the connection (not read meanwhile) until it settles, under HandshakeTimeout.
 */
import { expect } from 'chai';
import { Phase } from '../../lib/server/connection-base';
import type { ConnectionRequestEvent, ErrorEvent, WebSocketOpenRequestEvent } from '../../lib/server/events';
import { ReadHold } from '../../lib/server/read-gate';
import type { WSServer } from '../../lib/server/ws-server';
import { clientFrame } from '../helpers/frames';
import { RawClient } from '../helpers/raw-client';
import { cleanup, doEventsLoop, record, track } from '../helpers/engine';
import { delay, eventually, startServer } from '../helpers/server';

/** A promise the spec settles by hand, to hold a decision as long as it likes. */
function gate<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const MODES = [
  { name: 'events as they occur (ProcessIdleEvents=true)', idle: true },
  { name: 'DoEvents mode (ProcessIdleEvents=false)', idle: false },
];

for (const mode of MODES) {
  describe(`WSServer decisions: ${mode.name}`, () => {
    let stopLoop: (() => Promise<void>) | null = null;

    afterEach(async () => {
      await stopLoop?.();
      stopLoop = null;
      await cleanup();
    });

    async function server(config: Record<string, number | boolean> = {}) {
      const started = await startServer({ config: { ProcessIdleEvents: mode.idle, ...config } });
      if (!mode.idle) stopLoop = doEventsLoop(started.server);
      const seen = record(started.server, 'Connected', 'DataIn', 'Error');
      const errors = () => seen.filter(([name]) => name === 'Error').map(([, e]) => (e as ErrorEvent).description);
      const opened = () => seen.filter(([name]) => name !== 'Error').map(([name]) => name);
      return { ...started, errors, opened };
    }

    function theConnection(s: WSServer) {
      return [...s.connections.values()][0]!;
    }

    describe('WebSocketOpenRequest', () => {
      it('a handler that throws: HTTP 500, no upgrade, no DataIn, Error 615', async () => {
        const { server: s, port, errors, opened } = await server();
        s.on('WebSocketOpenRequest', () => {
          throw new Error('auth backend down');
        });
        const client = track(await RawClient.connect(port));
        client.write(Buffer.concat([Buffer.from(client.upgradeRequest()), clientFrame(1, 'sneaked in')]));
        expect((await client.readHttpResponse()).status).to.equal(500);
        await client.waitForEnd();
        await delay(20);
        expect(opened()).to.deep.equal([]);
        expect(errors()).to.deep.equal(['An event handler threw an exception in WebSocketOpenRequest: auth backend down']);
      });

      it('an async handler that awaits before refusing: its status is sent, nothing opens', async () => {
        const { server: s, port, opened } = await server();
        s.on('WebSocketOpenRequest', async (e: WebSocketOpenRequestEvent) => {
          await delay(30);
          e.statusCode = 401;
        });
        const client = track(await RawClient.connect(port));
        expect((await client.handshake()).status).to.equal(401);
        await client.waitForEnd();
        expect(opened()).to.deep.equal([]);
      });

      it('while an async handler decides, the connection is held: frames behind the request wait, then arrive', async () => {
        const { server: s, port, opened } = await server();
        const decision = gate();
        s.on('WebSocketOpenRequest', () => decision.promise);
        const client = track(await RawClient.connect(port));
        client.write(Buffer.concat([Buffer.from(client.upgradeRequest()), clientFrame(1, 'early')]));
        await eventually(() => s.connections.size === 1 && theConnection(s).stage === Phase.Opening, 3000, 'the held handshake');
        await delay(30);
        const connection = theConnection(s);
        expect(connection.driver.gate.isHeld(ReadHold.Handshake)).to.equal(true);
        expect(opened()).to.deep.equal([]);
        decision.resolve();
        expect((await client.readHttpResponse()).status).to.equal(101);
        await eventually(() => opened().length === 2, 3000, 'Connected and DataIn');
        expect(opened()).to.deep.equal(['Connected', 'DataIn']);
      });

      it('an async handler that rejects: HTTP 500 and Error 615 with its reason', async () => {
        const { server: s, port, errors, opened } = await server();
        s.on('WebSocketOpenRequest', async (e: WebSocketOpenRequestEvent) => {
          e.statusCode = 101;
          await delay(10);
          throw new Error('token lookup failed');
        });
        const client = track(await RawClient.connect(port));
        expect((await client.handshake()).status).to.equal(500);
        await client.waitForEnd();
        expect(opened()).to.deep.equal([]);
        expect(errors()).to.deep.equal(['An event handler threw an exception in WebSocketOpenRequest: token lookup failed']);
      });

      it('a rejection refuses even when another listener accepted', async () => {
        const { server: s, port } = await server();
        s.on('WebSocketOpenRequest', () => undefined);
        s.on('WebSocketOpenRequest', () => Promise.reject(new Error('second says no')));
        const client = track(await RawClient.connect(port));
        expect((await client.handshake()).status).to.equal(500);
      });

      it('a statusCode that cannot be read (valueOf throws) refuses with 500', async () => {
        const { server: s, port, errors } = await server();
        s.on('WebSocketOpenRequest', (e: WebSocketOpenRequestEvent) => {
          e.statusCode = {
            valueOf() {
              throw new Error('not a number');
            },
          } as unknown as number;
        });
        const client = track(await RawClient.connect(port));
        expect((await client.handshake()).status).to.equal(500);
        expect(errors()).to.deep.equal(['An event handler threw an exception in WebSocketOpenRequest: not a number']);
      });

      it('an async handler that never settles: HandshakeTimeout keeps running and drops the connection', async () => {
        const { server: s, port, opened } = await server({ HandshakeTimeout: 1 });
        s.on('WebSocketOpenRequest', () => new Promise(() => undefined));
        const client = track(await RawClient.connect(port));
        client.write(client.upgradeRequest());
        await client.waitForEnd(4000);
        expect(await client.readRest()).to.have.length(0);
        await eventually(() => s.connections.size === 0, 3000, 'the connection to go');
        expect(opened()).to.deep.equal([]);
      });
    });

    describe('ConnectionRequest', () => {
      it('a handler that throws: the TCP connection is closed before anything is read, Error 615', async () => {
        const { server: s, port, errors, opened } = await server();
        s.on('ConnectionRequest', (e: ConnectionRequestEvent) => {
          e.accept = true;
          throw new Error('list unavailable');
        });
        const client = track(await RawClient.connect(port));
        client.write(client.upgradeRequest());
        await client.waitForEnd();
        expect(await client.readRest()).to.have.length(0);
        expect(opened()).to.deep.equal([]);
        expect(errors()).to.deep.equal(['An event handler threw an exception in ConnectionRequest: list unavailable']);
      });

      it('an async handler holds the connection unread until it decides; accept=false then closes it', async () => {
        const { server: s, port, opened } = await server();
        const decision = gate();
        s.on('ConnectionRequest', async (e: ConnectionRequestEvent) => {
          await decision.promise;
          e.accept = false;
        });
        const client = track(await RawClient.connect(port));
        client.write(client.upgradeRequest());
        await eventually(() => s.connections.size === 1, 3000, 'the connection');
        await delay(30);
        const connection = theConnection(s);
        expect([connection.stage, connection.driver.gate.isHeld(ReadHold.Admission)]).to.deep.equal([Phase.Requested, true]);
        decision.resolve();
        await client.waitForEnd();
        expect(await client.readRest()).to.have.length(0);
        expect(opened()).to.deep.equal([]);
      });

      it('an async handler that accepts after awaiting: the WebSocket opens', async () => {
        const { server: s, port } = await server();
        s.on('ConnectionRequest', async (e: ConnectionRequestEvent) => {
          await delay(20);
          e.accept = true;
        });
        const client = track(await RawClient.connect(port));
        expect((await client.handshake()).status).to.equal(101);
      });

      it('an async handler that rejects: closed, Error 615', async () => {
        const { server: s, port, errors } = await server();
        s.on('ConnectionRequest', async () => {
          await delay(10);
          throw new Error('geo lookup failed');
        });
        const client = track(await RawClient.connect(port));
        client.write(client.upgradeRequest());
        await client.waitForEnd();
        expect(await client.readRest()).to.have.length(0);
        expect(errors()).to.deep.equal(['An event handler threw an exception in ConnectionRequest: geo lookup failed']);
      });

      it('an async handler that never settles: closed once HandshakeTimeout passes', async () => {
        const { server: s, port } = await server({ HandshakeTimeout: 1, LogLevel: 1 });
        const logs: string[] = [];
        s.on('Log', (e) => logs.push(e.message));
        s.on('ConnectionRequest', () => new Promise(() => undefined));
        const client = track(await RawClient.connect(port));
        await client.waitForEnd(4000);
        await eventually(() => logs.includes('Connection refused: ConnectionRequest was not decided within HandshakeTimeout.'), 2000, 'the log line');
      });
    });
  });
}
