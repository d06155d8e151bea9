/**
 * Method conformance: every method of the API description, called through the procedural face
 * (do_* → Promise<number>) and through the PHP-style class (doX → Promise, throwing IPWorksSSLError),
 * each against a live connection on loopback.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { EventId, METHODS, PropertyId } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { IPWorksSSL_WSServer, IPWorksSSLError } from '../../compat';
import { delay, eventually } from '../helpers/server';

type Face = {
  name: string;
  /** Calls method `name` (reference spelling) with args; resolves with 0 or the error code. */
  call(method: string, ...args: unknown[]): Promise<number>;
  config(text: string): string;
};

function proceduralFace(res: number): Face {
  return {
    name: 'procedural',
    call(method, ...args) {
      const fn = (api as unknown as Record<string, (...a: unknown[]) => Promise<number>>)[`ipworksssl_wsserver_do_${method.toLowerCase()}`]!;
      return fn(res, ...args);
    },
    config: (text) => api.ipworksssl_wsserver_do_config(res, text),
  };
}

function phpFace(server: IPWorksSSL_WSServer): Face {
  return {
    name: 'PHP-style',
    async call(method, ...args) {
      const fn = (server as unknown as Record<string, (...a: unknown[]) => Promise<void>>)[`do${method === 'DoEvents' ? 'Events' : method}`]!;
      try {
        await fn.apply(server, args);
        return 0;
      } catch (error) {
        expect(error).to.be.instanceOf(IPWorksSSLError);
        expect((error as Error).message).to.match(/^\d+: /);
        return (error as IPWorksSSLError).code;
      }
    },
    config: (text) => server.doConfig(text),
  };
}

interface Session {
  face: Face;
  res: number;
  port: number;
  cid: number;
  ws: WebSocket;
  messages: Array<{ data: string; binary: boolean }>;
  dataIn: Array<Record<string, unknown>>;
  pings: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function session(kind: 'procedural' | 'php', url = '/'): Promise<Session> {
  const php = new IPWorksSSL_WSServer();
  const res = php.handle;
  const face = kind === 'php' ? phpFace(php) : proceduralFace(res);
  const dataIn: Array<Record<string, unknown>> = [];
  const pings: Array<Record<string, unknown>> = [];
  let cid = 0;
  api.ipworksssl_wsserver_register_callback(res, EventId.Connected, (p) => void (cid = p.connectionid as number));
  api.ipworksssl_wsserver_register_callback(res, EventId.DataIn, (p) => void dataIn.push({ ...p }));
  api.ipworksssl_wsserver_register_callback(res, EventId.Ping, (p) => void pings.push({ ...p }));
  api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, '127.0.0.1');
  expect(await face.call('StartListening')).to.equal(0);
  let running = true;
  const loop = (async () => {
    while (running) await face.call('DoEvents');
  })();
  const port = api.ipworksssl_wsserver_get(res, PropertyId.LocalPort) as number;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${url}`);
  const messages: Array<{ data: string; binary: boolean }> = [];
  ws.on('message', (data, binary) => messages.push({ data: data.toString(), binary }));
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  await eventually(() => cid > 0);
  return {
    face,
    res,
    port,
    cid,
    ws,
    messages,
    dataIn,
    pings,
    async stop() {
      running = false;
      await loop;
      ws.terminate();
      await api.ipworksssl_wsserver_do_shutdown(res);
      php.dispose();
    },
  };
}

const scenarios: Record<string, (s: Session) => Promise<void>> = {
  async ChangeLineMode(s) {
    expect(await s.face.call('ChangeLineMode', s.cid, true)).to.equal(0);
    expect(api.ipworksssl_wsserver_get(s.res, PropertyId.WSConnectionLineMode, s.cid)).to.equal(true);
    s.ws.send('one\r\ntwo\nthr');
    await eventually(() => s.dataIn.length === 2);
    expect(s.dataIn.map((d) => [d.text, d.eol, d.dataformat])).to.deep.equal([
      ['one', true, 0],
      ['two', true, 0],
    ]);
    expect(await s.face.call('ChangeLineMode', s.cid, false)).to.equal(0);
    await eventually(() => s.dataIn.length === 3);
    expect(s.dataIn[2]).to.deep.include({ text: 'thr', eol: false });
    expect(await s.face.call('ChangeLineMode', 999, true)).to.equal(126);
  },
  async Config(s) {
    expect(s.face.config('LogLevel=3')).to.equal('');
    expect(s.face.config('LogLevel')).to.equal('3');
    expect(s.face.config('BufferMessage')).to.equal('False');
    expect(s.face.config(`ConnectionUID[${s.cid}]`)).to.match(/^[0-9a-f-]{36}$/);
    if (s.face.name === 'procedural') {
      expect(s.face.config('NoSuchSetting')).to.equal('');
      expect(api.ipworksssl_wsserver_get_last_error_code(s.res)).to.equal(606);
    } else {
      expect(() => s.face.config('NoSuchSetting')).to.throw(IPWorksSSLError, /^606: /);
    }
  },
  async Disconnect(s) {
    s.face.config('DisconnectStatusCode=4001');
    s.face.config('DisconnectStatusDescription=bye now');
    const closed = new Promise<[number, string]>((resolve) => s.ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    expect(await s.face.call('Disconnect', s.cid)).to.equal(0);
    expect(await closed).to.deep.equal([4001, 'bye now']);
    expect(await s.face.call('Disconnect', s.cid)).to.equal(126);
  },
  async DoEvents(s) {
    s.ws.send('queued');
    await eventually(() => s.dataIn.length === 1);
    expect(s.dataIn[0]).to.deep.include({ text: 'queued' });
  },
  async Interrupt(s) {
    expect(await s.face.call('Interrupt', s.cid)).to.equal(0);
    expect(await s.face.call('Interrupt', 31337)).to.equal(126);
  },
  async PauseData(s) {
    expect(await s.face.call('PauseData', s.cid)).to.equal(0);
    expect(api.ipworksssl_wsserver_get(s.res, PropertyId.WSConnectionAcceptData, s.cid)).to.equal(false);
    s.ws.send('held back');
    await delay(80);
    expect(s.dataIn).to.have.length(0);
    expect(await s.face.call('ProcessData', s.cid)).to.equal(0);
    await eventually(() => s.dataIn.length === 1);
    expect(s.dataIn[0]).to.deep.include({ text: 'held back' });
  },
  async Ping(s) {
    expect(await s.face.call('Ping', s.cid)).to.equal(0);
    await eventually(() => s.pings.length === 1);
    expect(s.pings[0]).to.deep.include({ response: true });
    api.ipworksssl_wsserver_set(s.res, PropertyId.WSConnectionTimeout, s.cid, 2);
    expect(await s.face.call('Ping', s.cid)).to.equal(0);
  },
  async ProcessData(s) {
    await scenarios.PauseData!(s);
  },
  async Send(s) {
    expect(await s.face.call('Send', s.cid, 'as text')).to.equal(0);
    expect(await s.face.call('Send', s.cid, Buffer.from([1, 2]))).to.equal(0);
    await eventually(() => s.messages.length === 2);
    expect(s.messages).to.deep.equal([
      { data: 'as text', binary: false },
      { data: '\x01\x02', binary: true },
    ]);
  },
  async SendBytes(s) {
    expect(await s.face.call('SendBytes', s.cid, 'bytes')).to.equal(0);
    await eventually(() => s.messages.length === 1);
    expect(s.messages[0]).to.deep.equal({ data: 'bytes', binary: true });
  },
  async SendFile(s) {
    const dir = mkdtempSync(join(tmpdir(), 'wsserver-'));
    try {
      const file = join(dir, 'data.bin');
      writeFileSync(file, Buffer.alloc(300000, 'z'));
      expect(await s.face.call('SendFile', s.cid, file)).to.equal(0);
      await eventually(() => s.messages.length === 1);
      expect(s.messages[0]!.binary).to.equal(true);
      expect(s.messages[0]!.data).to.equal('z'.repeat(300000));
      expect(await s.face.call('SendFile', s.cid, join(dir, 'missing.bin'))).to.equal(613);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  async SendText(s) {
    expect(await s.face.call('SendText', s.cid, 'héllo')).to.equal(0);
    await eventually(() => s.messages.length === 1);
    expect(s.messages[0]).to.deep.equal({ data: 'héllo', binary: false });
    expect(await s.face.call('SendText', 4040, 'x')).to.equal(126);
  },
  async Shutdown(s) {
    const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
    s.face.config('DisconnectStatusCode=4001');
    expect(await s.face.call('Shutdown')).to.equal(0);
    expect(await closed).to.equal(4001);
    expect(api.ipworksssl_wsserver_get(s.res, PropertyId.Listening)).to.equal(false);
    expect(api.ipworksssl_wsserver_get(s.res, PropertyId.WSConnectionCount)).to.equal(0);
  },
  async StartListening(s) {
    expect(await s.face.call('StartListening')).to.equal(104);
  },
  async StopListening(s) {
    expect(await s.face.call('StopListening')).to.equal(0);
    expect(api.ipworksssl_wsserver_get(s.res, PropertyId.Listening)).to.equal(false);
    // the existing connection keeps working
    expect(await s.face.call('SendText', s.cid, 'still here')).to.equal(0);
    await eventually(() => s.messages.length === 1);
    const refused = new WebSocket(`ws://127.0.0.1:${s.port}/`);
    const error = await new Promise<Error>((resolve) => refused.once('error', resolve));
    expect((error as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
  },
};

describe('compat methods (driven by tools/api/wsserver.json)', () => {
  it('has a scenario for every method of the description', () => {
    expect(Object.keys(scenarios).sort()).to.deep.equal(METHODS.map((m) => m.name).sort());
  });
  for (const kind of ['procedural', 'php'] as const) {
    describe(`through the ${kind === 'php' ? 'PHP-style class' : 'procedural functions'}`, () => {
      for (const method of METHODS) {
        it(`${method.name} (${kind === 'php' ? method.php : method.procedural})`, async () => {
          const s = await session(kind);
          try {
            await scenarios[method.name]!(s);
          } finally {
            await s.stop();
          }
        });
      }
    });
  }
});
