/**
 * Event conformance, driven by the API description: for every event ID a scripted scenario makes it
 * fire through register_callback, and the params object carries exactly the documented keys (in
 * order, plus the `b` Buffer twins). Out-parameters are read back from the returned object or from
 * the mutated params.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { EVENTS, EventId, ErrorCode } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { IPWorksSSL_WSServer } from '../../compat';
import { RawClient } from '../helpers/raw-client';
import { closeAll, listening } from '../helpers/compat';
import { eventually } from '../helpers/server';

type Params = Record<string, unknown>;

/** Events that need TLS to fire: their scenarios live in spec/tls, with the TLS layer. */
const TLS_EVENTS = new Set<number>([EventId.SSLClientAuthentication, EventId.SSLConnectionRequest, EventId.SSLStatus]);

function expectedKeys(id: number): string[] {
  const info = EVENTS.find((e) => e.id === id)!;
  const keys: string[] = [];
  for (const param of info.params) {
    keys.push(param.name);
    if (param.bufferTwin) keys.push(param.bufferTwin);
  }
  return keys;
}

/** Registers a recorder for every event ID and returns what fired. */
function record(res: number): Map<number, Params[]> {
  const seen = new Map<number, Params[]>();
  for (const event of EVENTS) {
    api.ipworksssl_wsserver_register_callback(res, event.id, (params) => {
      if (!seen.has(event.id)) seen.set(event.id, []);
      seen.get(event.id)!.push({ ...params });
    });
  }
  return seen;
}

describe('compat events (driven by tools/api/wsserver.json)', () => {
  afterEach(closeAll);

  it('a scripted session fires every non-TLS event with exactly the documented keys', async () => {
    let seen = new Map<number, Params[]>();
    const { res, port } = await listening((res) => {
      seen = record(res);
      api.ipworksssl_wsserver_do_config(res, 'LogLevel=2');
    });
    // Error (5) comes from a callback that throws.
    api.ipworksssl_wsserver_register_callback(res, EventId.ReadyToSend, (p) => {
      (seen.get(EventId.ReadyToSend) ?? seen.set(EventId.ReadyToSend, []).get(EventId.ReadyToSend)!).push({ ...p });
      throw new Error('boom in ReadyToSend');
    });
    const client = await RawClient.open(port, { path: '/x' });
    client.sendText('hello');
    client.sendFrame(9, 'ping-payload');
    await client.readFrame(); // the pong
    client.sendClose(1000, 'done');
    await client.readClose();
    await eventually(() => seen.has(EventId.Disconnected), 3000, 'Disconnected');

    for (const event of EVENTS) {
      if (TLS_EVENTS.has(event.id)) continue;
      const fired = seen.get(event.id);
      expect(fired, `${event.name} (${event.id}) fired`).to.not.equal(undefined);
      expect(Object.keys(fired![0]!), `${event.name} keys`).to.deep.equal(expectedKeys(event.id));
    }
    const dataIn = seen.get(EventId.DataIn)![0]!;
    expect(dataIn).to.deep.include({ dataformat: 1, text: 'hello', eom: true, eol: false });
    expect(Buffer.isBuffer(dataIn.textb) && (dataIn.textb as Buffer).toString()).to.equal('hello');
    const ping = seen.get(EventId.Ping)![0]!;
    expect(ping).to.deep.include({ payload: 'ping-payload', response: false });
    expect((ping.payloadb as Buffer).toString()).to.equal('ping-payload');
    expect(seen.get(EventId.Disconnected)![0]).to.deep.include({ statuscode: 1000, description: 'done' });
    const error = seen.get(EventId.Error)![0]!;
    expect(error.errorcode).to.equal(ErrorCode.CallbackError);
    expect(error.description).to.contain('boom in ReadyToSend');
    expect(seen.get(EventId.WebSocketOpenRequest)![0]).to.deep.include({ requesturi: '/x', statuscode: 101, hostheader: 'localhost' });
    expect(seen.get(EventId.ConnectionRequest)![0]).to.deep.include({ address: '127.0.0.1', accept: true });
    const logs = seen.get(EventId.Log)!;
    expect(logs.some((l) => l.loglevel === 2 && String(l.message).startsWith('Upgrade: websocket'))).to.equal(true);
    expect(logs.every((l) => ['Info', 'Error', 'Verbose', 'Debug'].includes(String(l.logtype)))).to.equal(true);
  });

  it('lists the TLS events whose scenarios live in spec/tls', () => {
    expect([...TLS_EVENTS].sort((a, b) => a - b)).to.deep.equal([9, 10, 11]);
    for (const id of TLS_EVENTS) expect(expectedKeys(id)[0]).to.equal('connectionid');
  });

  describe('out-parameters', () => {
    it('ConnectionRequest accept=false (mutated params) refuses the connection', async () => {
      const { port } = await listening((res) => {
        api.ipworksssl_wsserver_register_callback(res, EventId.ConnectionRequest, (p) => {
          p.accept = false;
        });
      });
      const client = await RawClient.connect(port);
      client.write(client.upgradeRequest());
      await client.waitForEnd();
      expect(await client.readRest()).to.have.length(0);
    });

    it('WebSocketOpenRequest statuscode/responseheaders (returned object) reject with that status', async () => {
      const { port } = await listening((res) => {
        api.ipworksssl_wsserver_register_callback(res, EventId.WebSocketOpenRequest, (p) => ({
          ...p,
          statuscode: 401,
          responseheaders: 'WWW-Authenticate: Basic realm="Secure Realm"',
        }));
      });
      const client = await RawClient.connect(port);
      const response = await client.handshake();
      expect(response.status).to.equal(401);
      expect(response.headers['www-authenticate']).to.equal('Basic realm="Secure Realm"');
    });

    it('WebSocketOpenRequest subprotocols selects one of the offered (echoed only when offered)', async () => {
      let choice = 'superchat';
      const { port } = await listening((res) => {
        api.ipworksssl_wsserver_register_callback(res, EventId.WebSocketOpenRequest, (p) => {
          p.subprotocols = choice;
        });
      });
      const first = await RawClient.connect(port);
      expect((await first.handshake({ protocols: 'chat, superchat' })).headers['sec-websocket-protocol']).to.equal('superchat');
      choice = 'other';
      const second = await RawClient.connect(port);
      const response = await second.handshake({ protocols: 'chat' });
      expect(response.status).to.equal(101);
      expect(response.headers).to.not.have.property('sec-websocket-protocol');
      first.destroy();
      second.destroy();
    });

    it('register_callback(null) unregisters and an unknown event ID gives 611', async () => {
      const res = api.ipworksssl_wsserver_open();
      expect(api.ipworksssl_wsserver_register_callback(res, 13, () => undefined)).to.equal(ErrorCode.UnknownEvent);
      expect(api.ipworksssl_wsserver_register_callback(res, 0, () => undefined)).to.equal(ErrorCode.UnknownEvent);
      expect(api.ipworksssl_wsserver_register_callback(res, 3, 'not a function' as never)).to.equal(ErrorCode.InvalidArgument);
      expect(api.ipworksssl_wsserver_register_callback(res, 3, () => undefined)).to.equal(0);
      expect(api.serverOf(res)!.server.listenerCount('DataIn')).to.equal(1);
      expect(api.ipworksssl_wsserver_register_callback(res, 3, null)).to.equal(0);
      expect(api.serverOf(res)!.server.listenerCount('DataIn')).to.equal(0);
      api.ipworksssl_wsserver_close(res);
    });
  });

  describe('PHP-style fireX overrides', () => {
    it('a subclass receives events through fireX and answers with the returned param', async () => {
      const seen: string[] = [];
      class EchoServer extends IPWorksSSL_WSServer {
        override fireConnected(param: Params) {
          seen.push(`connected ${param.connectionid}`);
          return param;
        }
        override fireWebSocketOpenRequest(param: Params) {
          param.subprotocols = 'echo';
          return param;
        }
        override fireDataIn(param: Params) {
          void this.doSendText(param.connectionid as number, `echo: ${param.text}`);
          return param;
        }
        override fireDisconnected(param: Params) {
          seen.push(`disconnected ${param.statuscode}`);
          return param;
        }
      }
      const server = new EchoServer();
      server.setLocalHost('127.0.0.1');
      await server.doStartListening();
      let running = true;
      const loop = (async () => {
        while (running) await server.doEvents();
      })();
      try {
        const ws = new WebSocket(`ws://127.0.0.1:${server.getLocalPort()}/`, ['echo']);
        const reply = await new Promise<string>((resolve, reject) => {
          ws.once('open', () => ws.send('hi'));
          ws.once('message', (data) => resolve(data.toString()));
          ws.once('error', reject);
        });
        expect(reply).to.equal('echo: hi');
        expect(ws.protocol).to.equal('echo');
        ws.close(1000);
        await eventually(() => seen.length === 2);
        expect(seen[0]).to.match(/^connected \d+$/);
        expect(seen[1]).to.equal('disconnected 1000');
      } finally {
        running = false;
        await loop;
        await server.doShutdown();
        server.dispose();
      }
    });
  });
});
