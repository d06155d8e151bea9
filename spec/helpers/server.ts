/** Starting and stopping servers in specs: loopback, port 0, always cleaned up. */
import { WSServer, type WSServerOptions } from '../../lib/server/ws-server';

const running = new Set<WSServer>();

/** A listening WSServer on 127.0.0.1 and a free port. */
export async function startServer(options: WSServerOptions = {}): Promise<{ server: WSServer; port: number }> {
  const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, ...options });
  await server.startListening();
  running.add(server);
  return { server, port: server.localPort };
}

/** Shuts down every server started by startServer (call in afterEach). */
export async function stopServers(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.shutdown().catch(() => undefined)));
}

/** Resolves with the next emitted event of that name. */
export function nextEvent<T = any>(server: WSServer, name: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${ms} ms`)), ms);
    server.once(name, (event: T) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
}

/** Polls `check` until it is true (or fails after `ms`). */
export async function eventually(check: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
