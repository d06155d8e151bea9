/**
 * The client half of permessage-deflate (RFC 7692) for the conformance suite: reading the server's
 * negotiation response, checking it against what was offered, and compressing/decompressing
 * messages. Context takeover is modelled by handing zlib the previous plaintext as a preset
 * dictionary (the last 2^window bytes), so each message is one synchronous zlib call — and a server
 * that reaches further back than the window it agreed to makes the inflate fail.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';

/** One element of a Sec-WebSocket-Extensions list: name and parameters in order (value null when absent). */
export interface ExtensionItem {
  name: string;
  params: Array<[string, string | null]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a Sec-WebSocket-Extensions header (RFC 6455 §9.1 grammar; quoted-string values unquoted).
 * @throws Error when the value does not follow the grammar.
 */
export function parseExtensions(header: string): ExtensionItem[] {
  const items: ExtensionItem[] = [];
  // Split on commas and semicolons outside quotes.
  const parts: Array<{ text: string; sep: string }> = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < header.length) {
        current += header[++i];
        continue;
      }
      if (c === '"') quoted = false;
      current += c;
    } else if (c === '"') {
      quoted = true;
      current += c;
    } else if (c === ',' || c === ';') {
      parts.push({ text: current.trim(), sep: c });
      current = '';
    } else current += c;
  }
  if (quoted) throw new Error('unterminated quoted-string');
  parts.push({ text: current.trim(), sep: '' });
  let item: ExtensionItem | null = null;
  for (const part of parts) {
    if (item === null) {
      if (!TOKEN.test(part.text)) throw new Error(`bad extension name ${JSON.stringify(part.text)}`);
      item = { name: part.text, params: [] };
    } else {
      const eq = part.text.indexOf('=');
      const name = (eq < 0 ? part.text : part.text.slice(0, eq)).trim();
      if (!TOKEN.test(name)) throw new Error(`bad parameter name ${JSON.stringify(name)}`);
      let value: string | null = null;
      if (eq >= 0) {
        value = part.text.slice(eq + 1).trim();
        if (value.startsWith('"')) {
          if (!value.endsWith('"') || value.length < 2) throw new Error('bad quoted-string');
          value = value.slice(1, -1);
        }
        if (!TOKEN.test(value)) throw new Error(`bad parameter value ${JSON.stringify(value)}`);
      }
      item.params.push([name, value]);
    }
    if (part.sep !== ';') {
      items.push(item);
      item = null;
    }
  }
  return items;
}

/** What the two sides agreed for one connection (window bits 8..15; 15 when not negotiated). */
export interface DeflateAgreement {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** RFC 7692 §7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15". */
function windowBits(value: string | null): number | null {
  if (value === null || !/^(?:[89]|1[0-5])$/.test(value)) return null;
  return Number(value);
}

/**
 * Checks the server's answer to one permessage-deflate offer against RFC 7692 §7.1.
 * @param offer the parameters the client offered (in the offer the server accepted)
 * @param response the parameters of the server's permessage-deflate response element
 * @returns the agreement, or a string saying what rule the response broke
 */
export function checkResponse(offer: ExtensionItem['params'], response: ExtensionItem['params']): DeflateAgreement | string {
  const offered = new Map(offer.map(([k, v]) => [k, v]));
  const seen = new Set<string>();
  const agreed: DeflateAgreement = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  for (const [name, value] of response) {
    // §7.1: "A server MUST NOT include ... extension parameter[s] ... more than once" (the same rules as offers).
    if (seen.has(name)) return `parameter ${name} appears twice in the response`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== null) return 'server_no_context_takeover carries a value';
        agreed.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== null) return 'client_no_context_takeover carries a value';
        agreed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value);
        if (bits === null) return `server_max_window_bits=${value} is not 8..15`;
        // §7.1.2.1: the server MUST answer "with a value equal to or smaller than" the one offered.
        const limit = offered.has('server_max_window_bits') ? windowBits(offered.get('server_max_window_bits') ?? null) : 15;
        if (limit !== null && bits > limit) return `server_max_window_bits=${bits} exceeds the offered ${limit}`;
        agreed.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // §7.1.2.2: "If a received extension negotiation offer doesn't have the client_max_window_bits
        // extension parameter, the corresponding extension negotiation response to the offer MUST NOT
        // include the client_max_window_bits extension parameter."
        if (!offered.has('client_max_window_bits')) return 'client_max_window_bits in the response though the offer had none';
        const bits = windowBits(value);
        if (bits === null) return `client_max_window_bits=${value} is not 8..15`;
        const limit = windowBits(offered.get('client_max_window_bits') ?? null);
        if (limit !== null && bits > limit) return `client_max_window_bits=${bits} exceeds the offered ${limit}`;
        agreed.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${name} in the response`;
    }
  }
  // §7.1.1.1: a server accepting an offer with server_no_context_takeover "MUST include the
  // server_no_context_takeover extension parameter in the corresponding extension negotiation response".
  if (offered.has('server_no_context_takeover') && !agreed.serverNoContextTakeover) {
    return 'server_no_context_takeover was offered but is missing from the response';
  }
  // §7.1.1.2: offering client_no_context_takeover tells the server the client will not use context
  // takeover "even if the server doesn't include [it] in the corresponding response": the probe keeps that promise.
  if (offered.has('client_no_context_takeover')) agreed.clientNoContextTakeover = true;
  return agreed;
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Keeps the last `size` bytes of a history plus new data. */
function slide(history: Buffer, data: Buffer, size: number): Buffer {
  const joined = history.length === 0 ? data : Buffer.concat([history, data]);
  return joined.length <= size ? Buffer.from(joined) : Buffer.from(joined.subarray(joined.length - size));
}

/** Compresses what the client sends and decompresses what the server sends, message by message. */
export class DeflateCodec {
  private sent: Buffer = Buffer.alloc(0);
  private received: Buffer = Buffer.alloc(0);

  constructor(readonly agreement: DeflateAgreement) {}

  /** §7.2.1: compress, flush with an empty stored block, drop its 4 trailing bytes 00 00 ff ff. */
  compress(data: Buffer): Buffer {
    const bits = this.agreement.clientMaxWindowBits;
    // zlib refuses raw 8-bit windows; a 9-bit zlib window never reaches back further than 250 bytes.
    const zlibBits = Math.max(9, bits);
    const options: Parameters<typeof deflateRawSync>[1] = { windowBits: zlibBits, finishFlush: constants.Z_SYNC_FLUSH };
    if (!this.agreement.clientNoContextTakeover && this.sent.length > 0) options.dictionary = this.sent;
    const out = deflateRawSync(data, options);
    if (!this.agreement.clientNoContextTakeover) this.sent = slide(this.sent, data, 1 << bits);
    return out.subarray(out.length - 4).equals(TAIL) ? out.subarray(0, out.length - 4) : out;
  }

  /**
   * §7.2.2: append 00 00 ff ff and inflate. The history offered to zlib is exactly the agreed server
   * window (none with server_no_context_takeover), so references beyond it fail.
   * @throws Error from zlib when the data is not valid for the agreement
   */
  decompress(data: Buffer): Buffer {
    const options: Parameters<typeof inflateRawSync>[1] = { windowBits: 15, finishFlush: constants.Z_SYNC_FLUSH };
    if (!this.agreement.serverNoContextTakeover && this.received.length > 0) options.dictionary = this.received;
    const out = inflateRawSync(Buffer.concat([data, TAIL]), options);
    if (!this.agreement.serverNoContextTakeover) this.received = slide(this.received, out, 1 << this.agreement.serverMaxWindowBits);
    return out;
  }
}

/** Raw DEFLATE bytes that are not a valid stream (a block with the reserved type 11). */
export const CORRUPT_DEFLATE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]);
