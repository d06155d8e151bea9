/**
 * The fuzzing client: one TCP connection that completes a WebSocket handshake by hand, writes
 * whatever frames a case asks for (whole, chopped, with pauses), and turns what the server sends
 * into an ordered list of events — messages, pongs, the close frame, the end of TCP, or a
 * violation when the server itself breaks RFC 6455/7692.
 *
 * The expectation helpers (expectMessage, expectClose, …) are what cases are written with: they
 * throw CaseFailure for a strict failure and record NON-STRICT notes for allowed-but-weaker
 * behaviour (for example failing a connection without a close frame, which §7.1.7 permits).
 */
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { TLSSocket, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { OP, bytes, closePayload, decodeFrame, encodeFrame, isUtf8, type FrameSpec } from './wire';
import { DeflateCodec, checkResponse, parseExtensions, type DeflateAgreement, type ExtensionItem } from './deflate-codec';

/** A strict failure: the case is FAILED with this reason. */
export class CaseFailure extends Error {
  override name = 'CaseFailure';
}

export type Incoming =
  | { kind: 'message'; opcode: number; data: Buffer; frames: number; compressed: boolean }
  | { kind: 'pong'; payload: Buffer }
  | { kind: 'close'; code: number | null; reason: Buffer }
  | { kind: 'end' }
  | { kind: 'violation'; reason: string };

export interface OpenOptions {
  /** Sec-WebSocket-Extensions to offer (none by default: cases without deflate test plain framing). */
  extensions?: string;
  protocols?: string;
  path?: string;
}

/** How a probe reaches the server: plain TCP (ws), or TLS (wss) with these node:tls client options. */
export interface Transport {
  tls?: ConnectionOptions;
}

export interface HandshakeAnswer {
  status: number;
  headers: Map<string, string>;
}

/** How a write is cut: pieces of `size` bytes with `pauseMs` between them (0: next event-loop turn). */
export interface Chop {
  size: number;
  pauseMs?: number;
}

const RFC_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function describe(event: Incoming | undefined): string {
  if (!event) return 'nothing';
  switch (event.kind) {
    case 'message': {
      const kind = event.opcode === OP.TEXT ? 'text' : 'binary';
      const shown = event.data.length > 24 ? `${event.data.subarray(0, 24).toString('hex')}…` : event.data.toString('hex');
      return `a ${kind} message of ${event.data.length} bytes (${shown})`;
    }
    case 'pong':
      return `a pong of ${event.payload.length} bytes`;
    case 'close':
      return event.code === null ? 'a close frame without code' : `close ${event.code}`;
    case 'end':
      return 'the TCP connection closed (no close frame)';
    case 'violation':
      return `a protocol violation by the server: ${event.reason}`;
  }
}

export class Probe {
  /** NON-STRICT notes collected while the case ran. */
  readonly notes: string[] = [];
  /** Frames the server sent after its close frame (a strict failure, checked when the case ends). */
  readonly afterClose: string[] = [];
  /** The negotiated Sec-WebSocket-Extensions (parsed), the agreement when deflate was accepted. */
  extensions: ExtensionItem[] = [];
  deflate: DeflateAgreement | null = null;
  answer: HandshakeAnswer = { status: 0, headers: new Map() };

  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly events: Incoming[] = [];
  /** The server's close frame has arrived: whatever follows it is a violation. */
  private closeSeen = false;
  private waiters: Array<() => void> = [];
  private codec: DeflateCodec | null = null;
  private fragments: Buffer[] = [];
  private fragmentOpcode = -1;
  private fragmentCompressed = false;
  private fragmentFrames = 0;
  private stopped = false;
  private handshakeDone = false;
  private ended = false;
  /** The client has sent a close frame (so a close from the server is the reply, not to be answered). */
  private sentClose = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => {
      this.ended = true;
      if (this.handshakeDone && !this.stopped) this.push({ kind: 'end' });
      this.wake();
    });
    // Writes after the server failed the connection may error (EPIPE/ECONNRESET): that is expected.
    socket.on('error', () => undefined);
  }

  /**
   * A connection to 127.0.0.1 without a WebSocket handshake yet: TCP, or TLS when the transport
   * says so (resolved once the TLS handshake is done, so the WebSocket bytes are the first data).
   */
  static connect(port: number, transport: Transport = {}): Promise<Probe> {
    return new Promise((resolve, reject) => {
      const ready = () => {
        socket.off('error', reject);
        resolve(new Probe(socket));
      };
      const socket: Socket = transport.tls ? tlsConnect({ ...transport.tls, port, host: '127.0.0.1' }, ready) : connect({ port, host: '127.0.0.1' }, ready);
      socket.once('error', reject);
    });
  }

  /** Connects and completes the opening handshake; a refusal is a CaseFailure. */
  static async open(port: number, options: OpenOptions = {}, transport: Transport = {}): Promise<Probe> {
    const probe = await Probe.connect(port, transport);
    const answer = await probe.handshake(options);
    if (answer.status !== 101) {
      probe.destroy();
      throw new CaseFailure(`handshake refused with HTTP ${answer.status}`);
    }
    return probe;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The TLS version agreed ('TLSv1.3', …), or null on a plain TCP connection. */
  get tlsProtocol(): string | null {
    return this.socket instanceof TLSSocket ? this.socket.getProtocol() : null;
  }

  /** Sends the upgrade request and reads the response head (validating Sec-WebSocket-Accept on 101). */
  async handshake(options: OpenOptions = {}, ms = 3000): Promise<HandshakeAnswer> {
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${options.path ?? '/'} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (options.protocols !== undefined) lines.push(`Sec-WebSocket-Protocol: ${options.protocols}`);
    if (options.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    this.socket.write(lines.join('\r\n') + '\r\n\r\n');

    const deadline = Date.now() + ms;
    let end = this.buffer.indexOf('\r\n\r\n');
    while (end < 0) {
      if (this.ended) throw new CaseFailure('connection closed during the opening handshake');
      if (Date.now() > deadline) throw new CaseFailure(`no handshake response within ${ms} ms`);
      await this.waitForInput(deadline - Date.now());
      end = this.buffer.indexOf('\r\n\r\n');
    }
    const head = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    this.buffer = this.buffer.subarray(end + 4);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
    const headers = new Map<string, string>();
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      // Repeated headers fold into one list (RFC 9110 §5.3).
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    this.answer = { status, headers };
    if (status !== 101) return this.answer;

    // §4.1: the client MUST check Sec-WebSocket-Accept, Upgrade and Connection.
    const expected = createHash('sha1').update(key + RFC_GUID).digest('base64');
    if (headers.get('sec-websocket-accept') !== expected) throw new CaseFailure('wrong Sec-WebSocket-Accept');
    if ((headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') throw new CaseFailure('101 without Upgrade: websocket');
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '')) throw new CaseFailure('101 without Connection: Upgrade');
    this.acceptExtensions(options.extensions, headers.get('sec-websocket-extensions'));
    this.handshakeDone = true;
    if (this.buffer.length > 0) this.drainFrames();
    if (this.ended) this.push({ kind: 'end' });
    return this.answer;
  }

  /** §9.1: the server may only answer with extensions that were offered; deflate parameters per RFC 7692 §7.1. */
  private acceptExtensions(offerHeader: string | undefined, responseHeader: string | undefined): void {
    if (responseHeader === undefined || responseHeader === '') return;
    let response: ExtensionItem[];
    try {
      response = parseExtensions(responseHeader);
    } catch (error) {
      throw new CaseFailure(`malformed Sec-WebSocket-Extensions response: ${(error as Error).message}`);
    }
    this.extensions = response;
    const offers = offerHeader ? parseExtensions(offerHeader) : [];
    for (const item of response) {
      if (item.name !== 'permessage-deflate') throw new CaseFailure(`server answered with the extension ${item.name}, never offered`);
    }
    if (response.length > 1) throw new CaseFailure('permessage-deflate accepted more than once');
    const chosen = response[0]!;
    const candidates = offers.filter((o) => o.name === 'permessage-deflate');
    if (candidates.length === 0) throw new CaseFailure('permessage-deflate accepted but never offered');
    // The response answers one of the offers: the first one it is a valid answer to.
    let firstError = '';
    for (const offer of candidates) {
      const result = checkResponse(offer.params, chosen.params);
      if (typeof result !== 'string') {
        this.deflate = result;
        this.codec = new DeflateCodec(result);
        return;
      }
      firstError ||= result;
    }
    throw new CaseFailure(`permessage-deflate response "${responseHeader}" answers no offer: ${firstError}`);
  }

  // ─── Writing ──────────────────────────────────────────────────────────────────────────────

  /** Writes raw bytes, optionally chopped into pieces with pauses (so the server reads them apart). */
  async write(data: Buffer, chop?: Chop): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (!chop || chop.size >= data.length) {
      this.socket.write(data);
      return;
    }
    for (let at = 0; at < data.length; at += chop.size) {
      if (this.socket.destroyed || this.socket.writableEnded || this.ended) return;
      this.socket.write(data.subarray(at, Math.min(data.length, at + chop.size)));
      if (chop.pauseMs) await pause(chop.pauseMs);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Sends one frame as given (masked unless spec.mask is false). */
  send(spec: FrameSpec, chop?: Chop): Promise<void> {
    if (spec.opcode === OP.CLOSE) this.sentClose = true;
    return this.write(encodeFrame(spec), chop);
  }

  /** Sends several frames in one write (or chopped as one byte stream). */
  sendAll(specs: FrameSpec[], chop?: Chop): Promise<void> {
    if (specs.some((spec) => spec.opcode === OP.CLOSE)) this.sentClose = true;
    return this.write(Buffer.concat(specs.map(encodeFrame)), chop);
  }

  /** Sends one whole data message, compressed (RSV1) when deflate was agreed and `compress` is not false. */
  sendMessage(opcode: number, payload: Buffer | string, options: { compress?: boolean; chop?: Chop } = {}): Promise<void> {
    const data = bytes(payload);
    if (this.codec && options.compress !== false) {
      return this.send({ opcode, payload: this.codec.compress(data), rsv: 4 }, options.chop);
    }
    return this.send({ opcode, payload: data }, options.chop);
  }

  /** Compresses with the agreed parameters (for cases that build frames by hand). */
  compress(data: Buffer | string): Buffer {
    if (!this.codec) throw new CaseFailure('permessage-deflate was not negotiated');
    return this.codec.compress(bytes(data));
  }

  // ─── Reading ──────────────────────────────────────────────────────────────────────────────

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.closeSeen) this.drainAfterClose();
    else if (this.handshakeDone && !this.stopped) this.drainFrames();
    this.wake();
  }

  private push(event: Incoming): void {
    this.events.push(event);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private waitForInput(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Turns buffered bytes into events, checking every rule a server must follow (§5.1–§5.6, RFC 7692 §6). */
  private drainFrames(): void {
    while (!this.stopped) {
      const taken = decodeFrame(this.buffer);
      if (!taken) return;
      this.buffer = this.buffer.subarray(taken.used);
      const f = taken.frame;
      const violation = this.checkFrame(f);
      if (violation) {
        this.stopped = true;
        this.push({ kind: 'violation', reason: violation });
        return;
      }
      if (f.opcode === OP.CLOSE) {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
        this.push({ kind: 'close', code, reason: f.payload.subarray(2) });
        this.stopped = true;
        this.closeSeen = true;
        this.drainAfterClose();
        return;
      }
      if (f.opcode === OP.PING) {
        // §5.5.2: answer with a pong carrying the same payload (the suite's echo servers never ping).
        void this.send({ opcode: OP.PONG, payload: f.payload });
        continue;
      }
      if (f.opcode === OP.PONG) {
        this.push({ kind: 'pong', payload: f.payload });
        continue;
      }
      if (f.opcode !== OP.CONT) {
        this.fragmentOpcode = f.opcode;
        this.fragmentCompressed = (f.rsv & 4) !== 0;
        this.fragments = [];
        this.fragmentFrames = 0;
      }
      this.fragments.push(f.payload);
      this.fragmentFrames++;
      if (!f.fin) continue;
      let data: Buffer = Buffer.concat(this.fragments);
      if (this.fragmentCompressed) {
        try {
          data = this.codec!.decompress(data);
        } catch (error) {
          this.stopped = true;
          this.push({ kind: 'violation', reason: `compressed message does not inflate with the agreed parameters (${(error as Error).message})` });
          return;
        }
      }
      if (this.fragmentOpcode === OP.TEXT && !isUtf8(data)) {
        this.stopped = true;
        this.push({ kind: 'violation', reason: 'text message is not valid UTF-8' });
        return;
      }
      this.push({ kind: 'message', opcode: this.fragmentOpcode, data, frames: this.fragmentFrames, compressed: this.fragmentCompressed });
      this.fragmentOpcode = -1;
    }
  }

  /** §5.5.1: "After sending a Close frame, the application MUST NOT send any more data frames." */
  private drainAfterClose(): void {
    for (;;) {
      const taken = decodeFrame(this.buffer);
      if (!taken) return;
      this.buffer = this.buffer.subarray(taken.used);
      this.afterClose.push(`opcode ${taken.frame.opcode} (${taken.frame.payload.length} bytes)`);
    }
  }

  private checkFrame(f: { fin: boolean; rsv: number; opcode: number; masked: boolean; payload: Buffer }): string | null {
    // §5.1: "A server MUST NOT mask any frames that it sends to the client."
    if (f.masked) return 'masked frame';
    // §5.2: RSV bits "MUST be 0 unless an extension is negotiated"; RFC 7692 §6: RSV1 on the first frame only.
    if ((f.rsv & 3) !== 0) return `RSV2/RSV3 set (rsv=${f.rsv})`;
    const control = (f.opcode & 8) !== 0;
    if ((f.rsv & 4) !== 0) {
      if (!this.codec) return 'RSV1 set without permessage-deflate';
      if (control || f.opcode === OP.CONT) return 'RSV1 set on a control or continuation frame';
    }
    if (control) {
      if (f.opcode > OP.PONG) return `reserved control opcode ${f.opcode}`;
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (f.payload.length > 125) return `control frame of ${f.payload.length} bytes`;
      if (!f.fin) return 'fragmented control frame';
      if (f.opcode === OP.CLOSE && f.payload.length === 1) return 'close frame with a 1-byte payload';
      if (f.opcode === OP.CLOSE && f.payload.length >= 2 && !isUtf8(f.payload.subarray(2))) return 'close reason is not UTF-8';
      return null;
    }
    if (f.opcode > OP.BINARY) return `reserved data opcode ${f.opcode}`;
    // §5.4: continuation frames only inside a fragmented message, and no new message inside one.
    if (f.opcode === OP.CONT && this.fragmentOpcode === -1) return 'continuation frame outside a message';
    if (f.opcode !== OP.CONT && this.fragmentOpcode !== -1) return 'new data frame inside a fragmented message';
    return null;
  }

  /** The next event, or undefined when nothing arrived within `ms`. */
  async next(ms: number): Promise<Incoming | undefined> {
    const deadline = Date.now() + ms;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await this.waitForInput(left);
    }
    return this.events.shift();
  }

  // ─── Expectations ─────────────────────────────────────────────────────────────────────────

  /** Records a NON-STRICT note. */
  note(reason: string): void {
    this.notes.push(reason);
  }

  /** The next event must be this data message (same opcode, same bytes). */
  async expectMessage(opcode: number, payload: Buffer | string, ms = 3000): Promise<void> {
    const want = bytes(payload);
    const event = await this.next(ms);
    if (event?.kind === 'message' && event.opcode === opcode && event.data.equals(want)) return;
    const kind = opcode === OP.TEXT ? 'text' : 'binary';
    throw new CaseFailure(`expected the echo (${kind}, ${want.length} bytes), got ${event ? describe(event) : `nothing within ${ms} ms`}`);
  }

  /** The next event must be a pong with exactly this payload. */
  async expectPong(payload: Buffer | string, ms = 3000): Promise<void> {
    const want = bytes(payload);
    const event = await this.next(ms);
    if (event?.kind === 'pong' && event.payload.equals(want)) return;
    if (event?.kind === 'pong') throw new CaseFailure(`pong payload differs (${event.payload.length} bytes, expected ${want.length})`);
    throw new CaseFailure(`expected a pong of ${want.length} bytes, got ${event ? describe(event) : `nothing within ${ms} ms`}`);
  }

  /**
   * The server must close with `code` (§7.1.7 fail, or a close reply). A TCP close without a close
   * frame is NON-STRICT (allowed by §7.1.7, but the client learns nothing), and so is a `tolerated`
   * code (defensible but less precise); any other code, data
   * instead of the close, or silence is FAILED. Completes the closing handshake and expects the
   * server to end TCP.
   */
  async expectClose(code: number, ms = 3000, what = 'close', tolerated: readonly number[] = []): Promise<void> {
    const event = await this.next(ms);
    if (event === undefined) throw new CaseFailure(`expected ${what} ${code}, got nothing within ${ms} ms`);
    if (event.kind === 'end') {
      this.note(`TCP closed without a close frame (expected close ${code})`);
      return;
    }
    if (event.kind !== 'close') throw new CaseFailure(`expected ${what} ${code}, got ${describe(event)}`);
    if (event.code !== null && tolerated.includes(event.code)) this.note(`close ${event.code} where ${code} is the precise code`);
    else if (event.code !== code) throw new CaseFailure(`expected ${what} ${code}, got ${describe(event)}`);
    await this.finishClosingHandshake(event.code);
  }

  /**
   * After the server's close frame: answer it unless it was the answer to ours (§5.5.1: a close is
   * sent once), then expect the server to end TCP (§7.1.1).
   */
  private async finishClosingHandshake(code: number | null): Promise<void> {
    if (!this.sentClose && !this.socket.destroyed && !this.socket.writableEnded && !this.ended) {
      await this.send({ opcode: OP.CLOSE, payload: code === null ? Buffer.alloc(0) : closePayload(code) });
    }
    if (!(await this.waitForEnd(2000))) this.note('the server kept TCP open for 2 s after the closing handshake');
  }

  /** The normal end of an echo case: client close 1000, expect close 1000 back, then the TCP end. */
  async closeNormally(ms = 3000): Promise<void> {
    await this.send({ opcode: OP.CLOSE, payload: closePayload(1000, '') });
    const event = await this.next(ms);
    if (event?.kind === 'close' && event.code === 1000) {
      if (!(await this.waitForEnd(2000))) this.note('the server kept TCP open for 2 s after the closing handshake');
      return;
    }
    if (event?.kind === 'close') {
      // §5.5.1: the reply "typically echos the status code it received"; another valid code is weaker.
      if (event.code === null) this.note('close reply without the status code');
      else throw new CaseFailure(`closing handshake answered with ${describe(event)}, expected close 1000`);
      await this.waitForEnd(2000);
      return;
    }
    throw new CaseFailure(`expected the close reply 1000, got ${event ? describe(event) : `nothing within ${ms} ms`}`);
  }

  /**
   * Fail-fast check: has the server closed (with `code`) within `ms`, before the client sends the
   * rest? Returns true when it has (and finishes the case like expectClose); false when it is still
   * silent. Anything else is FAILED.
   */
  async closedEarly(code: number, ms: number): Promise<boolean> {
    const event = await this.next(ms);
    if (event === undefined) return false;
    this.events.unshift(event);
    await this.expectClose(code, 0);
    return true;
  }

  /** Resolves true once the server ended TCP, false after `ms`. */
  async waitForEnd(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.waitForInput(left);
    }
    return true;
  }

  /** Half-closes TCP (FIN) while still reading. */
  endWrites(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
