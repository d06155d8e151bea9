/**
 * MetricsPort: the metrics text over HTTP on 127.0.0.1, only at GET/HEAD /metrics, while the server
 * listens; a port that cannot be bound fails StartListening and leaves nothing listening.
 */
import { expect } from 'chai';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { MetricsEndpoint } from '../../lib/server/metrics-endpoint';
import { METRICS_CONTENT_TYPE } from '../../lib/server/metrics-text';
import { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { startServer, stopServers } from '../helpers/server';

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

function fetchLocal(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

/** A port nothing listens on right now (bound, read, released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('MetricsEndpoint', () => {
  const endpoint = new MetricsEndpoint();
  afterEach(() => endpoint.close());

  it('answers GET and HEAD /metrics with the rendered text, 404 elsewhere and 405 for other methods', async () => {
    let renders = 0;
    await endpoint.open(await freePort(), () => `up ${++renders}\n`);
    const port = endpoint.port;
    expect(port).to.be.greaterThan(0);
    expect(await fetchLocal(port, '/metrics')).to.deep.equal({ status: 200, type: METRICS_CONTENT_TYPE, body: 'up 1\n' });
    expect(await fetchLocal(port, '/metrics?x=1', 'HEAD')).to.deep.include({ status: 200, body: '' });
    expect((await fetchLocal(port, '/')).status).to.equal(404);
    expect((await fetchLocal(port, '/metrics', 'POST')).status).to.equal(405);
  });

  it('answers 500 when rendering fails, and stops answering once closed', async () => {
    await endpoint.open(await freePort(), () => {
      throw new Error('broken');
    });
    const port = endpoint.port;
    expect(await fetchLocal(port, '/metrics')).to.deep.include({ status: 500, body: 'broken\n' });
    endpoint.close();
    expect(endpoint.port).to.equal(0);
    const error = await fetchLocal(port, '/metrics').then(() => null, (e: NodeJS.ErrnoException) => e.code);
    expect(error).to.equal('ECONNREFUSED');
  });
});

describe('WSServer MetricsPort', () => {
  let blocker: Server | null = null;
  afterEach(async () => {
    blocker?.close();
    blocker = null;
    await stopServers();
  });

  it('serves metricsText() on the loopback port while listening', async () => {
    const metricsPort = await freePort();
    const { server, port } = await startServer({ config: { MetricsPort: metricsPort } });
    const client = await RawClient.open(port);
    const answer = await fetchLocal(metricsPort, '/metrics');
    client.destroy();
    expect(answer.status).to.equal(200);
    expect(answer.body).to.contain('wsserver_connections{phase="open"} 1\n');
    expect(answer.body).to.contain('wsserver_listening 1\n');
    await server.stopListening();
    const error = await fetchLocal(metricsPort, '/metrics').then(() => null, (e: NodeJS.ErrnoException) => e.code);
    expect(error).to.equal('ECONNREFUSED');
  });

  it('fails StartListening with the socket error when the port is taken, and listens nowhere', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, config: { MetricsPort: taken } });
    const failure = await server.startListening().then(() => null, (e: { code: number }) => e.code);
    expect(failure).to.equal(10048);
    expect(server.listening).to.equal(false);
    await server.startListening().then(
      () => expect.fail('the port is still taken'),
      (e: { code: number }) => expect(e.code).to.equal(10048),
    );
  });
});
