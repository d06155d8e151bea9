/**
 * MetricsPort: the metrics text served over plain HTTP on the loopback interface, for a scraper on the
 * same host (or a sidecar). It is apart from the WebSocket port on purpose: nothing a WebSocket client
 * can reach shows the server's figures, and the WebSocket handshake is not burdened with another path.
 * Only `GET /metrics` (and HEAD) is answered; it is unreferenced, so it never keeps a process alive.
 */
import { createServer, type Server } from 'node:http';
import { toServerError } from './errors';
import { METRICS_CONTENT_TYPE } from './metrics-text';

export class MetricsEndpoint {
  private server: Server | null = null;

  /** The port bound, 0 while closed. */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Listens on 127.0.0.1:`port`; `render` makes the body of each answer. Socket errors reject as 100xx codes. */
  async open(port: number, render: () => string): Promise<void> {
    this.close();
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: the metrics are at /metrics\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      let body: string;
      try {
        body = render();
      } catch (error) {
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(error as Error).message}\n`);
        return;
      }
      response.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      server.close();
      throw toServerError(error);
    }
    server.unref();
    this.server = server;
  }

  /** Stops serving; open scrapes are cut off (they are short). */
  close(): void {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.close();
    server.closeAllConnections();
  }
}
