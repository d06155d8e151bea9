/** More helpers for engine specs: event recording, a DoEvents loop, `ws` clients, a streaming frame reader. */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { WSServer } from '../../lib/server/ws-server';
import type { WSConnection } from '../../lib/server/ws-connection';
import { RawClient, type HandshakeOptions } from './raw-client';
import { nextEvent, stopServers } from './server';

/** Records every event of the given names, in order, as [name, event]. */
export function record(server: WSServer, ...names: string[]): Array<[string, any]> {
  const seen: Array<[string, any]> = [];
  for (const name of names) server.on(name, (event: unknown) => seen.push([name, event]));
  return seen;
}

/** Calls doEvents() in a loop until the returned function is called (and awaited). */
export function doEventsLoop(server: WSServer): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) await server.doEvents();
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/** Opens a `ws` client and waits for 'open'. */
export function openWs(port: number, options: WebSocket.ClientOptions = {}, path = '/', protocols?: string | string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The next message a `ws` client receives, as [data, isBinary]. */
export function nextMessage(ws: WebSocket, ms = 3000): Promise<[Buffer, boolean]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), ms);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      resolve([Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary]);
    });
  });
}

/** A plain TCP connection, once connected. */
export function tcpConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** What a socket saw until it closed: the bytes and whether the server sent FIN or it was reset. */
export function socketOutcome(socket: Socket, ms = 3000): Promise<{ data: Buffer; error: string | null }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let error: string | null = null;
    const timer = setTimeout(() => reject(new Error('socket did not close')), ms);
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), error });
    });
  });
}

/** One server frame seen by StreamingFrameReader (payload not kept). */
export interface FrameInfo {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
}

/**
 * Parses server frames from a socket without keeping payloads (for large transfers): it records each frame
 * header and feeds payload bytes to `onPayload`.
 */
export class StreamingFrameReader {
  readonly frames: FrameInfo[] = [];
  payloadBytes = 0;
  private head: number[] = [];
  private left = 0;

  constructor(private readonly onPayload: (data: Buffer, frame: FrameInfo) => void = () => undefined) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left > 0) {
        const take = Math.min(this.left, chunk.length - at);
        this.onPayload(chunk.subarray(at, at + take), this.frames[this.frames.length - 1]!);
        this.payloadBytes += take;
        this.left -= take;
        at += take;
        continue;
      }
      // Headers are at most 10 bytes (server frames are not masked): gather them byte by byte.
      this.head.push(chunk[at++]!);
      if (this.head.length < 2) continue;
      const len7 = this.head[1]! & 0x7f;
      const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
      if (this.head.length < size) continue;
      const b = Buffer.from(this.head);
      const length = len7 === 126 ? b.readUInt16BE(2) : len7 === 127 ? Number(b.readBigUInt64BE(2)) : len7;
      this.frames.push({ fin: (b[0]! & 0x80) !== 0, rsv1: (b[0]! & 0x40) !== 0, opcode: b[0]! & 0x0f, length });
      this.head = [];
      this.left = length;
    }
  }
}

// ─── Clean-up ─────────────────────────────────────────────────────────────────────────────────

type Closable = { destroy(): void } | WebSocket;
const tracked = new Set<Closable>();

/** Remembers a client so that cleanup() closes it (shutdown would otherwise wait for its close reply). */
export function track<T extends Closable>(client: T): T {
  tracked.add(client);
  return client;
}

/** Drops every tracked client, then shuts every spec server down. */
export async function cleanup(): Promise<void> {
  for (const client of tracked) {
    if (client instanceof WebSocket) {
      client.on('error', () => undefined);
      client.terminate();
    }
    else client.destroy();
  }
  tracked.clear();
  await stopServers();
}

/** A raw client with a completed handshake, and the server-side connection it got. */
export async function rawConnection(
  server: WSServer,
  port: number,
  options: HandshakeOptions = {},
): Promise<{ client: RawClient; id: number; connection: WSConnection }> {
  const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
  const client = track(await RawClient.open(port, options));
  const { connectionId } = await connected;
  return { client, id: connectionId, connection: server.connection(connectionId) };
}

/** A `ws` client and the server-side connection id it got. */
export async function wsConnection(server: WSServer, port: number, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; id: number }> {
  const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
  const ws = track(await openWs(port, options));
  const { connectionId } = await connected;
  return { ws, id: connectionId };
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** What `fn` throws (fails when it does not). */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Takes the socket away from a raw client for bulk transfers: no buffering, paused (not reading). */
export function detach(client: RawClient): Socket {
  client.socket.removeAllListeners('data');
  client.socket.pause();
  return client.socket;
}

/**
 * Lets a paused socket read about `bytesPerTick` bytes every `tickMs` (its 'data' listeners see them).
 * Returns a function that stops it (the socket is left paused).
 */
export function readSlowly(socket: Socket, bytesPerTick: number, tickMs: number): () => void {
  let budget = 0;
  const count = (chunk: Buffer): void => {
    budget -= chunk.length;
    if (budget <= 0) socket.pause();
  };
  socket.on('data', count);
  const timer = setInterval(() => {
    budget = bytesPerTick;
    socket.resume();
  }, tickMs);
  return () => {
    clearInterval(timer);
    socket.off('data', count);
    socket.pause();
  };
}
