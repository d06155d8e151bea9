/**
 * RFC 7692 permessage-deflate in the sans-I/O core: the negotiation of its parameters (§7.1), pure
 * logic from the client's offers to the agreed params and the response header, and `MessageCodec`,
 * the interface through which ServerConnection compresses and decompresses messages (§7.2).
 *
 * The codec itself (node:zlib streams, a synchronous fast path, the process-wide limit on
 * thread-pool jobs) lives in lib/codec/deflate-codec.ts: zlib is the one place where Node forces
 * asynchrony and process-wide state on us, and keeping it behind this interface lets the core's
 * specs drive a connection with a small deterministic fake instead.
 */
import type { ExtensionOffer } from './header-grammar';

/** The server's permessage-deflate policy (every field optional). */
export interface DeflateOptions {
  /** Reset the compressor after each message (always done when the client asks). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compressor after each message. Default false. */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window the server compresses with, 8..15. Default 15. */
  serverMaxWindowBits?: number;
  /** The largest window the client may compress with, 8..15; sent only when the client offered
   *  client_max_window_bits (§7.1.2.2). Default 15. */
  clientMaxWindowBits?: number;
  /** Messages smaller than this are sent uncompressed. Default `Defaults.deflateThreshold`. */
  threshold?: number;
  /** zlib level 0..9. Default 1: measured on JSON-like messages it deflates 2-3x faster than
   *  level 6 for ~10% more output, and per-message compression is latency-bound. */
  level?: number;
  /** zlib memLevel 1..9. Default 8 (zlib's own default: 128 KiB of hash tables per compressor). */
  memLevel?: number;
}

/** What was agreed for one connection. Window bits are 8..15 (15 when not negotiated). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** How the codec reports one result: an error (final for the codec), or the output bytes. */
export type CodecCallback = (error: Error | null, result?: Buffer) => void;

/**
 * One connection's permessage-deflate codec (§7.2), as ServerConnection uses it. The contract the
 * connection relies on:
 * - results come back in call order, each call answered exactly once, either synchronously (before
 *   the call returns) or later: the connection pauses reading or holds output until then;
 * - a failure is a ProtocolError naming the close code (1009 for a message inflated beyond the
 *   limit, 1007 for corrupt data, 1011 for a failed compression) and every later call fails too;
 * - the codec enforces the inflated-size limit itself, while inflating, because only it sees the
 *   inflated size of a compressed message;
 * - after close() no callback runs and later calls are ignored.
 */
export interface MessageCodec {
  /** Messages smaller than this many bytes are sent uncompressed. */
  readonly threshold: number;
  /**
   * Compresses one whole message. §7.2.1: the result is the DEFLATE data without the trailing
   * 00 00 ff ff, ready to be the payload of a message with RSV1 set.
   */
  compress(data: Buffer, callback: CodecCallback): void;
  /**
   * Decompresses one fragment of a compressed message, `last` marking its final fragment (§7.2.2:
   * the codec then appends 00 00 ff ff itself). The result is this fragment's share of the message.
   */
  decompress(data: Buffer, last: boolean, callback: CodecCallback): void;
  /** Frees the codec (idempotent); called when the connection is gone. */
  close(): void;
}

/** §7.1.2.1/§7.1.2.2: window bits range over 8..15; 15 when not negotiated. */
export const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;

const EXTENSION_NAME = 'permessage-deflate';

// ---------------------------------------------------------------------------------------------
// §7.1 Extension negotiation
// ---------------------------------------------------------------------------------------------
//
// Truth table: what the response carries for each parameter of the offer ("P" is our policy).
//
//  parameter                   | in the offer        | in our response
//  ----------------------------+---------------------+------------------------------------------
//  server_no_context_takeover  | absent              | present iff P (§7.1.1.1: server MAY add it)
//                              | present, no value   | present: MUST be honoured (§7.1.1.1)
//  client_no_context_takeover  | absent              | present iff P (§7.1.1.2: server MAY add it)
//                              | present, no value   | present: the client announced it will not
//                              |                     | take over, echoing it lets us reset too
//  server_max_window_bits      | absent              | =P when P < 15 (§7.1.2.1 MAY), else absent
//                              | =V (8..15)          | =min(V, P): MUST, same or smaller (§7.1.2.1)
//  client_max_window_bits      | absent              | absent: MUST NOT include it (§7.1.2.2);
//                              |                     | the client may use 15, we inflate with 15
//                              | present, no value   | =P when P < 15, else absent
//                              | =V (8..15)          | =min(V, P) when < 15, else absent
//  anything else, a duplicate, a value on a no-value parameter, a window-bits value that is
//  missing (server_), not 8..15 or not a plain decimal    | the offer is declined (§7)

/**
 * Picks the first acceptable 'permessage-deflate' offer (RFC 7692 §5, §7.1): returns the agreed
 * params and the exact response extension string, or null when no offer is acceptable. Offers of
 * other extensions are ignored; a malformed permessage-deflate offer is declined and the next
 * one tried.
 * @throws RangeError when a window-bits option is not an integer 8..15.
 */
export function negotiatePermessageDeflate(
  offers: ExtensionOffer[],
  options: DeflateOptions = {},
): { params: DeflateParams; response: string } | null {
  const serverPolicy = checkWindowBitsOption(options.serverMaxWindowBits, 'serverMaxWindowBits');
  const clientPolicy = checkWindowBitsOption(options.clientMaxWindowBits, 'clientMaxWindowBits');
  // §5: the client lists its offers in order of preference; the server accepts at most one.
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const accepted = acceptOffer(offer, options, serverPolicy, clientPolicy);
    if (accepted !== null) return accepted;
  }
  return null;
}

/** The response to one offer, or null to decline it. */
function acceptOffer(
  offer: ExtensionOffer,
  options: DeflateOptions,
  serverPolicy: number,
  clientPolicy: number,
): { params: DeflateParams; response: string } | null {
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverBits = 0; // 0: not offered
  let clientBits = 0; // 0: not offered; MAX_WINDOW_BITS + 1: offered without a value
  for (const [name, value] of offer.params) {
    // §7: "A server MUST decline an extension negotiation offer for this extension if ... [it]
    // contains an extension parameter not defined for use in an offer ... with an invalid value
    // ... multiple extension parameters with the same name".
    switch (name) {
      case 'server_no_context_takeover':
        // §7.1.1.1: "This parameter has no value."
        if (serverNoContextTakeover || value !== true) return null;
        serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        // §7.1.1.2: "This parameter has no value."
        if (clientNoContextTakeover || value !== true) return null;
        clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        // §7.1.2.1: the value is mandatory.
        if (serverBits !== 0 || value === true) return null;
        serverBits = parseWindowBits(value);
        if (serverBits === 0) return null;
        break;
      case 'client_max_window_bits':
        // §7.1.2.2: "This parameter has no value or a decimal integer value ...".
        if (clientBits !== 0) return null;
        clientBits = value === true ? MAX_WINDOW_BITS + 1 : parseWindowBits(value);
        if (clientBits === 0) return null;
        break;
      default:
        return null;
    }
  }

  let response = EXTENSION_NAME;
  // §7.1.1.1: a server accepting an offer with server_no_context_takeover "MUST include the
  // 'server_no_context_takeover' extension parameter in the response"; it MAY add it unasked.
  const serverReset = serverNoContextTakeover || options.serverNoContextTakeover === true;
  if (serverReset) response += '; server_no_context_takeover';
  // §7.1.1.2: the server MAY include client_no_context_takeover in any response.
  const clientReset = clientNoContextTakeover || options.clientNoContextTakeover === true;
  if (clientReset) response += '; client_no_context_takeover';

  // §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by including
  // the 'server_max_window_bits' extension parameter in the extension negotiation response ...
  // with the same or smaller value as the offer", and it MAY include it unasked.
  let serverMaxWindowBits = serverPolicy;
  if (serverBits !== 0 && serverBits < serverMaxWindowBits) serverMaxWindowBits = serverBits;
  if (serverBits !== 0 || serverMaxWindowBits < MAX_WINDOW_BITS) {
    response += '; server_max_window_bits=' + serverMaxWindowBits;
  }

  // §7.1.2.2: "If a received extension negotiation offer doesn't have the 'client_max_window_bits'
  // extension parameter, the corresponding extension negotiation response to the offer MUST NOT
  // include the 'client_max_window_bits' extension parameter."
  let clientMaxWindowBits = MAX_WINDOW_BITS;
  if (clientBits !== 0) {
    clientMaxWindowBits = clientBits < clientPolicy ? clientBits : clientPolicy;
    if (clientMaxWindowBits < MAX_WINDOW_BITS) {
      response += '; client_max_window_bits=' + clientMaxWindowBits;
    }
  }

  return {
    params: {
      serverNoContextTakeover: serverReset,
      clientNoContextTakeover: clientReset,
      serverMaxWindowBits,
      clientMaxWindowBits,
    },
    response,
  };
}

/** §7.1.2.1/§7.1.2.2: "a decimal integer value without leading zeroes between 8 to 15,
 *  inclusive". Returns 0 for anything else. (A quoted value arrives already unquoted, §7.1.) */
function parseWindowBits(value: string): number {
  if (value.length === 1) {
    const digit = value.charCodeAt(0) - 0x30;
    return digit === 8 || digit === 9 ? digit : 0;
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const digit = value.charCodeAt(1) - 0x30;
    return digit >= 0 && digit <= 5 ? 10 + digit : 0;
  }
  return 0;
}

function checkWindowBitsOption(value: number | undefined, name: string): number {
  if (value === undefined) return MAX_WINDOW_BITS;
  if (!Number.isInteger(value) || value < MIN_WINDOW_BITS || value > MAX_WINDOW_BITS) {
    throw new RangeError(`${name} must be an integer from 8 to 15, got ${value}`);
  }
  return value;
}
