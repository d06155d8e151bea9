import { expect } from 'chai';
import { HttpRequestParser, type HttpRequest } from '../../lib/protocol/http-request';
import { healthCheckResponse, isHealthCheck } from '../../lib/server/health-check';

function request(line: string, headers: string[] = []): HttpRequest {
  const head = [line, 'Host: x', ...headers, '', ''].join('\r\n');
  return new HttpRequestParser({ maxHeaderSize: 16384 }).push(Buffer.from(head, 'latin1'))!;
}

describe('health-check', () => {
  it('matches GET and HEAD on the path, with or without a query', () => {
    expect(isHealthCheck(request('GET /healthz HTTP/1.1'), '/healthz')).to.equal(true);
    expect(isHealthCheck(request('HEAD /healthz HTTP/1.1'), '/healthz')).to.equal(true);
    expect(isHealthCheck(request('GET /healthz?from=lb HTTP/1.0'), '/healthz')).to.equal(true);
  });

  it('does not match other paths, methods, an Upgrade header, or when off', () => {
    expect(isHealthCheck(request('GET /healthz/ HTTP/1.1'), '/healthz')).to.equal(false);
    expect(isHealthCheck(request('GET /HEALTHZ HTTP/1.1'), '/healthz')).to.equal(false);
    expect(isHealthCheck(request('POST /healthz HTTP/1.1'), '/healthz')).to.equal(false);
    expect(isHealthCheck(request('get /healthz HTTP/1.1'), '/healthz')).to.equal(false);
    expect(isHealthCheck(request('GET /healthz HTTP/1.1', ['Upgrade: websocket']), '/healthz')).to.equal(false);
    expect(isHealthCheck(request('GET / HTTP/1.1'), '')).to.equal(false);
  });

  it('answers GET with 200, a body of "OK\\n" and Connection: close', () => {
    const text = healthCheckResponse('GET').toString('latin1');
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).to.equal(true);
    expect(text).to.contain('\r\nContent-Length: 3\r\n');
    expect(text).to.contain('\r\nConnection: close\r\n');
    expect(text.endsWith('\r\n\r\nOK\n')).to.equal(true);
  });

  it('answers HEAD with the same head and no body', () => {
    const get = healthCheckResponse('GET').toString('latin1');
    const head = healthCheckResponse('HEAD').toString('latin1');
    expect(head).to.equal(get.slice(0, get.length - 3));
    expect(head.endsWith('\r\n\r\n')).to.equal(true);
  });
});
