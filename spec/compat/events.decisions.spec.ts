/**
 * Decisions in the compat faces (issue 12): a callback that throws refuses; a callback that returns a
 * promise is a held decision whose out-parameters are read once it settles (from the value it resolves
 * with, or the params object), and whose rejection refuses. Procedural callbacks, PHP-style fireX
 * overrides and Node edition handlers, over real sockets; anything thrown is reported, never fatal.
 */
import { expect } from 'chai';
import { EventId } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { IPWorksSSL_WSServer } from '../../compat';
import type { EventParams } from '../../compat/events';
import { RawClient } from '../helpers/raw-client';
import { closeAll, listening } from '../helpers/compat';
import { delay, eventually } from '../helpers/server';
import { makeServer, stopAll } from './node-edition/helpers';

type Params = EventParams;

const clients: RawClient[] = [];

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

/** A listening procedural resource with the given callbacks, recording Error and DataIn. */
async function procedural(callbacks: Partial<Record<number, (p: Params) => unknown>>) {
  const errors: string[] = [];
  const data: string[] = [];
  const { res, port } = await listening((res) => {
    api.ipworksssl_wsserver_register_callback(res, EventId.Error, (p) => void errors.push(String(p.description)));
    api.ipworksssl_wsserver_register_callback(res, EventId.DataIn, (p) => void data.push(String(p.text)));
    for (const [id, callback] of Object.entries(callbacks)) api.ipworksssl_wsserver_register_callback(res, Number(id), callback!);
  });
  return { res, port, errors, data };
}

describe('compat decisions: throwing and async callbacks', () => {
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await closeAll();
    await stopAll();
  });

  describe('procedural callbacks', () => {
    it('WebSocketOpenRequest: an async callback that awaits a do* call, then sets statuscode, is read once it settles', async () => {
      const { res, port } = await procedural({
        [EventId.WebSocketOpenRequest]: async (p) => {
          await api.ipworksssl_wsserver_do_interrupt(res, 999);
          await delay(20);
          p.statuscode = 403;
        },
      });
      const c = await client(port);
      expect((await c.handshake()).status).to.equal(403);
    });

    it('WebSocketOpenRequest: the value an async callback resolves with is read when it is an object (PHP style)', async () => {
      const { port } = await procedural({
        [EventId.WebSocketOpenRequest]: async (p) => ({ ...p, statuscode: 404 }),
      });
      expect((await (await client(port)).handshake()).status).to.equal(404);
    });

    it('WebSocketOpenRequest: held while the callback awaits; frames behind the request are not delivered before 101', async () => {
      let release!: () => void;
      const { port, data } = await procedural({
        [EventId.WebSocketOpenRequest]: (p) =>
          new Promise<void>((resolve) => (release = resolve)).then(() => {
            p.subprotocols = 'chat';
          }),
      });
      const c = await client(port);
      c.write(c.upgradeRequest({ protocols: 'chat' }));
      await eventually(() => release !== undefined, 3000, 'the callback');
      await delay(30);
      expect(data).to.deep.equal([]);
      release();
      const response = await c.readHttpResponse();
      expect([response.status, response.headers['sec-websocket-protocol']]).to.deep.equal([101, 'chat']);
      c.sendText('after');
      await eventually(() => data.length === 1, 3000, 'DataIn');
    });

    it('WebSocketOpenRequest: a throw, or a rejection, refuses with 500 and reaches Error (615)', async () => {
      for (const callback of [
        (p: Params) => {
          p.statuscode = 101;
          throw new Error('sync no');
        },
        async () => {
          await delay(5);
          throw new Error('async no');
        },
      ]) {
        const { port, errors, data } = await procedural({ [EventId.WebSocketOpenRequest]: callback });
        const c = await client(port);
        expect((await c.handshake()).status).to.equal(500);
        await eventually(() => errors.length === 1, 3000, 'the Error event');
        expect(errors[0]).to.match(/^An event handler threw an exception in WebSocketOpenRequest: (sync|async) no$/);
        expect(data).to.deep.equal([]);
      }
    });

    it('ConnectionRequest: an async callback that sets accept=false after awaiting closes the connection unread', async () => {
      const { port } = await procedural({
        [EventId.ConnectionRequest]: async (p) => {
          await delay(20);
          p.accept = false;
        },
      });
      const c = await client(port);
      c.write(c.upgradeRequest());
      await c.waitForEnd();
      expect(await c.readRest()).to.have.length(0);
    });

    it('ConnectionRequest: a callback that throws closes the connection; Error 615 with id 0', async () => {
      const { port, errors } = await procedural({
        [EventId.ConnectionRequest]: () => {
          throw Object.create(null);
        },
      });
      const c = await client(port);
      c.write(c.upgradeRequest());
      await c.waitForEnd();
      expect(await c.readRest()).to.have.length(0);
      await eventually(() => errors.length === 1, 3000, 'the Error event');
      expect(errors).to.deep.equal(['An event handler threw an exception in ConnectionRequest: [object Object]']);
    });

    it('DataIn: a Symbol thrown from an async callback is reported and the server keeps going', async () => {
      const { port, errors } = await procedural({
        [EventId.DataIn]: async () => {
          throw Symbol('weird');
        },
      });
      const c = await client(port);
      expect((await c.handshake()).status).to.equal(101);
      c.sendText('x');
      await eventually(() => errors.length === 1, 3000, 'the Error event');
      expect(errors).to.deep.equal(['An event handler threw an exception in DataIn: Symbol(weird)']);
    });
  });

  describe('PHP-style class', () => {
    async function run(server: IPWorksSSL_WSServer): Promise<number> {
      server.setLocalHost('127.0.0.1');
      await server.doStartListening();
      const port = server.getLocalPort();
      void (async () => {
        while (server.getListening()) await server.doEvents();
      })();
      return port;
    }

    it('an async fireWebSocketOpenRequest that awaits before refusing: its status is sent', async () => {
      class Guard extends IPWorksSSL_WSServer {
        override async fireWebSocketOpenRequest(param: Params) {
          await delay(20);
          param.statuscode = 401;
          return param;
        }
      }
      const server = new Guard();
      try {
        const port = await run(server);
        expect((await (await client(port)).handshake()).status).to.equal(401);
      } finally {
        await server.doShutdown();
        server.dispose();
      }
    });

    it('a fireWebSocketOpenRequest that throws refuses with 500; fireError hears of it', async () => {
      const errors: string[] = [];
      class Broken extends IPWorksSSL_WSServer {
        override fireWebSocketOpenRequest(): unknown {
          throw undefined;
        }
        override fireError(param: Params) {
          errors.push(String(param.description));
          return param;
        }
      }
      const server = new Broken();
      try {
        const port = await run(server);
        expect((await (await client(port)).handshake()).status).to.equal(500);
        await eventually(() => errors.length === 1, 3000, 'fireError');
        expect(errors).to.deep.equal(['An event handler threw an exception in WebSocketOpenRequest: undefined']);
      } finally {
        await server.doShutdown();
        server.dispose();
      }
    });
  });

  describe('Node edition', () => {
    it('an async WebSocketOpenRequest handler sets statusCode after awaiting; a rejecting one refuses with 500', async () => {
      const server = makeServer();
      let reject = false;
      server.on('WebSocketOpenRequest', async (e) => {
        await delay(10);
        if (reject) throw Object.freeze({ toString: () => { throw new Error('x'); } });
        e.statusCode = 409;
      });
      const errors: string[] = [];
      server.on('Error', (e) => void errors.push(e.description));
      await server.startListening();
      const port = server.getLocalPort();
      expect((await (await client(port)).handshake()).status).to.equal(409);
      reject = true;
      expect((await (await client(port)).handshake()).status).to.equal(500);
      expect(errors).to.deep.equal(['An event handler threw an exception in WebSocketOpenRequest: [object Object]']);
    });
  });
});
