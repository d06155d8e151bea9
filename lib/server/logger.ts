/**
 * The Log event: what LogLevel asks for (1 info and errors, 2 request headers, 3 bytes in and out),
 * built only when someone listens at that level. Secrets in headers are masked with MaskSensitive.
 */
import type { Dispatcher } from './dispatcher';
import type { Settings } from './settings';

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export class Logger {
  constructor(
    private readonly settings: Settings,
    private readonly dispatcher: Dispatcher,
  ) {}

  /** The Log event, when LogLevel asks for `level`. */
  log(connectionId: number, level: number, message: string, logType: string): void {
    if (!this.logs(level)) return;
    this.dispatcher.dispatchEvent('Log', { connectionId, logLevel: level, message, logType });
  }

  /** Whether log() at `level` would fire: callers skip building messages nobody reads. */
  logs(level: number): boolean {
    return level <= this.settings.values.LogLevel && this.dispatcher.listens('Log');
  }

  /** LogLevel 2: the request headers (secrets masked with MaskSensitive). */
  logHeaders(connectionId: number, headers: ReadonlyArray<[string, string]>): void {
    if (!this.logs(2)) return;
    const mask = this.settings.values.MaskSensitive;
    for (const [name, value] of headers) {
      const shown = mask && SENSITIVE_HEADERS.has(name.toLowerCase()) ? '********' : value;
      this.log(connectionId, 2, `${name}: ${shown}`, 'Verbose');
    }
  }

  /** LogLevel 3: bytes received, with the first 32 in hex. */
  logIncoming(connectionId: number, chunk: Buffer): void {
    if (!this.logs(3)) return;
    this.log(connectionId, 3, `Received ${chunk.length} bytes: ${hexHead(chunk, chunk.length)}`, 'Debug');
  }

  /** LogLevel 3: one batch of frames written to the socket at once (`total` bytes in chunks[0..count)). */
  logOutgoing(connectionId: number, chunks: readonly Buffer[], count: number, total: number): void {
    if (!this.logs(3)) return;
    const head = count === 1 ? chunks[0]! : Buffer.concat(chunks.slice(0, count), Math.min(total, 32));
    this.log(connectionId, 3, `Sent ${total} bytes: ${hexHead(head, total)}`, 'Debug');
  }
}

function hexHead(head: Buffer, total: number): string {
  return `${head.subarray(0, 32).toString('hex')}${total > 32 ? '…' : ''}`;
}
