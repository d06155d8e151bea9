/**
 * HealthCheckPath: a load balancer's plain HTTP probe answered 200, so that a WebSocket port can be
 * health-checked like any web server. Only a GET or HEAD without an Upgrade header on exactly that
 * path qualifies; anything else goes on to the upgrade checks and gets the reference's answers.
 */
import type { HttpRequest } from '../protocol/http-request';

const BODY = 'OK\n';

/** Whether `request` is a health check for `path` ('' is off). The query string does not count. */
export function isHealthCheck(request: HttpRequest, path: string): boolean {
  if (path === '') return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (request.get('upgrade') !== undefined) return false;
  const uri = request.uri;
  const query = uri.indexOf('?');
  return (query === -1 ? uri : uri.slice(0, query)) === path;
}

/** The answer: 200, "OK\n" for GET (HEAD gets the same headers and no body), then the connection closes. */
export function healthCheckResponse(method: string): Buffer {
  const head =
    'HTTP/1.1 200 OK\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(BODY)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n' +
    '\r\n';
  return Buffer.from(method === 'HEAD' ? head : head + BODY, 'latin1');
}
