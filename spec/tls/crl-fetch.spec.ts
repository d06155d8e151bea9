import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchCrl } from '../../lib/tls/crl-fetch';

describe('tls/crl-fetch', () => {
  let server: Server;
  let base: string;
  let answer: (response: ServerResponse) => void;
  const requests: string[] = [];

  before(async () => {
    server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      answer(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => (requests.length = 0));

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('resolved');
      },
      (error: Error) => error.message,
    );

  it('GETs the URL and resolves with the body', async () => {
    answer = (response) => response.end(Buffer.from([0x30, 0x03, 1, 2, 3]));
    expect(await fetchCrl(`${base}/ca.crl`, 2000)).to.deep.equal(Buffer.from([0x30, 0x03, 1, 2, 3]));
    expect(requests).to.deep.equal(['GET /ca.crl']);
  });

  it('refuses another status than 200, redirects included', async () => {
    answer = (response) => response.writeHead(302, { location: `${base}/elsewhere` }).end();
    expect(await failure(fetchCrl(`${base}/ca.crl`, 2000))).to.equal('HTTP status 302');
    expect(requests).to.deep.equal(['GET /ca.crl']);
  });

  it('refuses a body over the size limit, announced or streamed', async () => {
    answer = (response) => response.writeHead(200, { 'content-length': '2000' }).end(Buffer.alloc(2000));
    expect(await failure(fetchCrl(`${base}/big`, 2000, 1000))).to.equal('2000 bytes is more than the 1000-byte limit');
    answer = (response) => {
      response.writeHead(200); // chunked: no length announced
      response.write(Buffer.alloc(600));
      setTimeout(() => response.end(Buffer.alloc(600)), 10);
    };
    expect(await failure(fetchCrl(`${base}/big`, 2000, 1000))).to.equal('more than the 1000-byte limit');
  });

  it('gives up after the time limit when the server does not answer', async () => {
    answer = () => undefined;
    expect(await failure(fetchCrl(`${base}/slow`, 100))).to.equal('no answer within 100 ms');
  });

  it('reports a refused connection and a URL node:http cannot use', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await failure(fetchCrl(`http://127.0.0.1:${port}/ca.crl`, 2000))).to.match(/ECONNREFUSED/);
    expect(await failure(fetchCrl('http://exa mple/ca.crl', 2000))).to.match(/Invalid URL|ERR_INVALID_URL|unescaped/i);
  });
});
