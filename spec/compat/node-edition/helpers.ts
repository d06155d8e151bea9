/** Servers in the vendor's Node edition shape for the specs: loopback, port 0, always shut down. */
import WebSocket from 'ws';
import { fixture } from '../../tls/fixtures';
import { wsserver } from '../../../compat/node-edition/index';

const running = new Set<wsserver>();

/** A server on 127.0.0.1 and a free port, not yet listening; `stopAll` shuts it down. */
export function makeServer(): wsserver {
  const server = new wsserver();
  server.setLocalHost('127.0.0.1');
  server.setLocalPort(0);
  running.add(server);
  return server;
}

/** Shuts down every server made by makeServer (call in afterEach). */
export async function stopAll(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.shutdown().catch(() => undefined)));
}

/** An open `ws` client: ws:// or, with `tls`, wss:// checked against the fixtures' CA. */
export async function connect(port: number, options: { tls?: boolean; path?: string } = {}): Promise<WebSocket> {
  const url = `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}${options.path ?? '/'}`;
  const ws = options.tls ? new WebSocket(url, { ca: fixture('ca.crt') }) : new WebSocket(url);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  return ws;
}

/** The next `count` messages of a client, as [text or hex, isBinary]. */
export function replies(ws: WebSocket, count: number, ms = 5000): Promise<Array<[string, boolean]>> {
  const got: Array<[string, boolean]> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} replies within ${ms} ms`)), ms);
    ws.on('message', (data, binary) => {
      got.push([binary ? (data as Buffer).toString('hex') : data.toString(), binary]);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

/** Closes a client and waits until it is closed. */
export function closeClient(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000);
  });
}

/** Polls `check` until it is true (or fails after `ms`). */
export async function eventually(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
