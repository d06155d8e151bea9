/**
 * A minimal WebSocket client over node:net for engine specs: it speaks the protocol by hand, so it can
 * also send what no real client would (unmasked frames, bad UTF-8, half requests).
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { formatFrame } from '../../lib/protocol/frame';
import { MASK } from './frames';

export interface ServerFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

export interface HttpResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  head: string;
}

export class RawClient {
  readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects and completes a WebSocket handshake. */
  static async open(port: number, options: HandshakeOptions = {}): Promise<RawClient> {
    const client = await RawClient.connect(port);
    const response = await client.handshake(options);
    if (response.status !== 101) throw new Error(`handshake failed: ${response.status}`);
    return client;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `ready()` is true, the socket closes, or `ms` passes. */
  private async until<T>(take: () => T | undefined, ms: number, what: string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.closed) throw new Error(`socket closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  upgradeRequest(options: HandshakeOptions = {}): string {
    const key = options.key ?? randomBytes(16).toString('base64');
    const lines = [
      `GET ${options.path ?? '/'} HTTP/1.1`,
      `Host: ${options.host ?? 'localhost'}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      `Sec-WebSocket-Version: ${options.version ?? '13'}`,
    ];
    if (options.protocols) lines.push(`Sec-WebSocket-Protocol: ${options.protocols}`);
    if (options.extensions) lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    if (options.origin) lines.push(`Origin: ${options.origin}`);
    for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
    return lines.join('\r\n') + '\r\n\r\n';
  }

  async handshake(options: HandshakeOptions = {}): Promise<HttpResponse> {
    this.write(this.upgradeRequest(options));
    return this.readHttpResponse();
  }

  /** Reads an HTTP response head (and leaves anything after it buffered). */
  async readHttpResponse(ms = 3000): Promise<HttpResponse> {
    return this.until(
      () => {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end < 0) return undefined;
        const head = this.buffer.subarray(0, end).toString('latin1');
        this.buffer = this.buffer.subarray(end + 4);
        const [statusLine, ...lines] = head.split('\r\n');
        const match = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(statusLine ?? '');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        return { status: Number(match?.[1] ?? 0), reason: match?.[2] ?? '', headers, head };
      },
      ms,
      'an HTTP response',
    );
  }

  /** Bytes of the body after a response head (e.g. a rejection body), once the server closed. */
  async readRest(ms = 3000): Promise<Buffer> {
    await this.until(() => (this.ended || this.closed ? true : undefined), ms, 'the end of the stream').catch(() => undefined);
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  sendFrame(opcode: number, payload: Buffer | string, options: { fin?: boolean; rsv1?: boolean; mask?: Uint8Array | null } = {}): void {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const mask = options.mask === null ? undefined : (options.mask ?? MASK);
    this.write(formatFrame(opcode, data, { fin: options.fin, rsv1: options.rsv1, mask }));
  }

  sendText(text: string): void {
    this.sendFrame(1, text);
  }

  sendBinary(data: Buffer): void {
    this.sendFrame(2, data);
  }

  sendClose(code?: number, reason = ''): void {
    const payload = code === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);
    this.sendFrame(8, payload);
  }

  /** Reads one server frame (unmasked, as servers send). */
  async readFrame(ms = 3000): Promise<ServerFrame> {
    return this.until(() => this.takeFrame(), ms, 'a frame');
  }

  private takeFrame(): ServerFrame | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    let length = b[1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      at = 10;
    }
    if ((b[1]! & 0x80) !== 0) throw new Error('server frames must not be masked');
    if (b.length < at + length) return undefined;
    const frame = { fin: (b[0]! & 0x80) !== 0, rsv1: (b[0]! & 0x40) !== 0, opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(at, at + length)) };
    this.buffer = b.subarray(at + length);
    return frame;
  }

  /** Reads frames until a whole data message (control frames in between are returned in `controls`). */
  async readMessage(ms = 3000): Promise<{ opcode: number; data: Buffer; frames: number; controls: ServerFrame[] }> {
    const parts: Buffer[] = [];
    const controls: ServerFrame[] = [];
    let opcode = -1;
    let frames = 0;
    for (;;) {
      const frame = await this.readFrame(ms);
      if (frame.opcode >= 8) {
        controls.push(frame);
        if (frame.opcode === 8) throw new Error(`close frame while reading a message: ${frame.payload.toString('hex')}`);
        continue;
      }
      frames++;
      if (opcode === -1) opcode = frame.opcode;
      parts.push(frame.payload);
      if (frame.fin) return { opcode, data: Buffer.concat(parts), frames, controls };
    }
  }

  /** Reads frames until the close frame; returns its code (1005 if none) and reason. */
  async readClose(ms = 3000): Promise<{ code: number; reason: string }> {
    for (;;) {
      const frame = await this.readFrame(ms);
      if (frame.opcode !== 8) continue;
      if (frame.payload.length === 0) return { code: 1005, reason: '' };
      return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
    }
  }

  /** Resolves when the server ended or closed the TCP connection. */
  async waitForEnd(ms = 3000): Promise<void> {
    await this.until(() => (this.ended || this.closed ? true : undefined), ms, 'the connection to end');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface HandshakeOptions {
  path?: string;
  host?: string;
  key?: string;
  version?: string;
  protocols?: string;
  extensions?: string;
  origin?: string;
  headers?: Record<string, string>;
}
