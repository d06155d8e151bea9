import { expect } from 'chai';
import { join } from 'node:path';
import type { WSServer } from '../../lib/server/ws-server';
import type { DisconnectedEvent, PingEvent } from '../../lib/server/events';
import { startServer, stopServers } from '../helpers/server';
import { findPythonWithWebsockets, runProcess } from './tools';

const SCRIPT = join(__dirname, 'python-client.py');

/** An echo server on loopback that keeps whole messages (BufferMessage) and their type. */
async function echoServer(): Promise<{ server: WSServer; url: string }> {
  const { server, port } = await startServer({ config: { BufferMessage: true } });
  server.on('DataIn', (e) => {
    const sent = e.dataFormat === 1 ? server.sendText(e.connectionId, e.text) : server.sendBytes(e.connectionId, e.textB);
    sent.catch(() => undefined);
  });
  return { server, url: `ws://127.0.0.1:${port}/interop` };
}

/** Runs one scenario of python-client.py (15 s bound) and returns its JSON report. */
async function python(url: string, scenario: string, ...extra: string[]): Promise<Record<string, any>> {
  const interpreter = findPythonWithWebsockets();
  const result = await runProcess(interpreter, [SCRIPT, url, scenario, ...extra], 15000);
  const last = result.stdout.trim().split('\n').pop() ?? '';
  let report: Record<string, any>;
  try {
    report = JSON.parse(last);
  } catch {
    throw new Error(`python client printed no report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  if (result.code !== 0) throw new Error(`python client failed: ${report.error ?? last}\n${result.stderr}`);
  return report;
}

const EXCHANGE: Array<[string, number]> = [
  ['text', 0],
  ['binary', 0],
  ['binary', 125],
  ['text', 125],
  ['binary', 126],
  ['text', 126],
  ['binary', 65535],
  ['text', 65535],
  ['binary', 65536],
  ['text', 65536],
  ['binary', 1048576],
  ['text', 1048576],
  ['text', Buffer.byteLength('héllo wörld — κόσμε — 日本語 — 😀')],
];

describe('Interop: Python websockets client', function () {
  this.timeout(30000);
  afterEach(stopServers);

  it('echoes text and binary (empty, 125/126/65535/65536 bytes, 1 MiB, non-ASCII) with permessage-deflate', async () => {
    const { server, url } = await echoServer();
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'echo', '--compression', 'deflate');
    expect(report.extensions).to.match(/^permessage-deflate/);
    expect(report.results.map((r: any) => [r.kind, r.size, r.ok])).to.deep.equal(EXCHANGE.map(([kind, size]) => [kind, size, true]));
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([1000, 'echo done']);
  });

  it('echoes the same exchange without compression', async () => {
    const { server, url } = await echoServer();
    const opened = new Promise<string>((resolve) => server.once('Connected', (e) => resolve(server.connections.get(e.connectionId)!.extensions)));
    const report = await python(url, 'echo', '--compression', 'none');
    expect(report.extensions).to.equal(null);
    expect(await opened).to.equal('');
    expect(report.results.every((r: any) => r.ok)).to.equal(true);
    expect(report.results).to.have.length(EXCHANGE.length);
  });

  it('selects the subprotocol the server chose among the offered ones', async () => {
    const { server, url } = await echoServer();
    const offered: string[] = [];
    server.on('WebSocketOpenRequest', (e) => {
      offered.push(e.subProtocols);
      e.subProtocols = 'chat';
    });
    const protocol = new Promise<string>((resolve) => server.once('Connected', (e) => resolve(server.connections.get(e.connectionId)!.protocol)));
    const report = await python(url, 'subprotocol');
    expect(offered).to.deep.equal(['superchat, chat']);
    expect(report.subprotocol).to.equal('chat');
    expect(report.reply).to.equal('which protocol?');
    expect(await protocol).to.equal('chat');
  });

  it('answers a ping with its payload (and reports it in the Ping event)', async () => {
    const { server, url } = await echoServer();
    const pings: PingEvent[] = [];
    server.on('Ping', (e) => pings.push(e));
    const report = await python(url, 'ping');
    expect(report.pong).to.equal(true);
    expect(pings.map((p) => [p.payloadB.toString(), p.response])).to.deep.equal([['interop-ping', false]]);
  });

  it('sees the client close 1000 with its reason', async () => {
    const { server, url } = await echoServer();
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'client-close');
    // What the client received back: the server's close reply (its reason is the server's own choice).
    expect(report.close_code).to.equal(1000);
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([1000, 'python done']);
  });

  it('closes from the server with DisconnectStatusCode/DisconnectStatusDescription', async () => {
    const { server, url } = await echoServer();
    server.config('DisconnectStatusCode=4001');
    server.config('DisconnectStatusDescription=bye from the server');
    server.removeAllListeners('DataIn');
    server.on('DataIn', (e) => {
      if (e.text === 'close me') void server.disconnect(e.connectionId);
    });
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'server-close');
    expect(report).to.include({ code: 4001, reason: 'bye from the server', sent_code: 4001 });
    const event = await disconnected;
    expect(event.statusCode).to.equal(4001);
  });
});
