/**
 * Event parameters for the compat faces: one plain object per event whose keys are the reference's
 * parameter names in lower case, byte-valued parameters twice (a string and, with a `b` suffix, a
 * Buffer with the exact bytes), and out-parameters read back after the callback returned: from the
 * object it returned, if it returned one, else from the object it was given (PHP handlers return
 * `$param`; JavaScript ones usually mutate it).
 *
 * The params objects are object literals written out per event (PARAMS below), so every DataIn
 * builds one fixed-shape object in one allocation; spec/compat/events.params.spec.ts checks each of
 * them against the EVENTS table (keys, order, source fields). DataIn's `text` is decoded eagerly for
 * short messages — a lazy one must be an own accessor (Object.keys lists it), and defining one costs
 * more than decoding a short message — and only when first read for long ones (EAGER_TEXT_LIMIT).
 */
import { EVENTS, type EventInfo, type EventName, type EventParamInfo } from '../lib/generated/api';
import type { WSServerEvents } from '../lib/server/events';
import { parseBoolean, parseInteger } from '../lib/server/values';

export type EventParams = Record<string, unknown>;
export type EventCallback = (params: EventParams) => unknown;

/** The params object of each event, keys in the order of the EVENTS table. */
export const PARAMS: { readonly [K in EventName]: (event: WSServerEvents[K]) => EventParams } = {
  Connected: (e) => ({ connectionid: e.connectionId }),
  ConnectionRequest: (e) => ({ address: e.address, port: e.port, accept: e.accept }),
  DataIn: (e) => {
    if (e.textB.length <= EAGER_TEXT_LIMIT) {
      return { connectionid: e.connectionId, dataformat: e.dataFormat, text: e.text, textb: e.textB, eom: e.eom, eol: e.eol };
    }
    const params: EventParams = { connectionid: e.connectionId, dataformat: e.dataFormat, text: undefined, textb: e.textB, eom: e.eom, eol: e.eol };
    decodeOnFirstUse(params, e);
    return params;
  },
  Disconnected: (e) => ({ connectionid: e.connectionId, statuscode: e.statusCode, description: e.description }),
  Error: (e) => ({ connectionid: e.connectionId, errorcode: e.errorCode, description: e.description }),
  Log: (e) => ({ connectionid: e.connectionId, loglevel: e.logLevel, message: e.message, logtype: e.logType }),
  Ping: (e) => ({ connectionid: e.connectionId, payload: e.payload, payloadb: e.payloadB, response: e.response }),
  ReadyToSend: (e) => ({ connectionid: e.connectionId }),
  SSLClientAuthentication: (e) => ({
    connectionid: e.connectionId,
    certencoded: e.certEncoded,
    certencodedb: e.certEncodedB,
    certsubject: e.certSubject,
    certissuer: e.certIssuer,
    status: e.status,
    accept: e.accept,
  }),
  SSLConnectionRequest: (e) => ({
    connectionid: e.connectionId,
    supportedciphersuites: e.supportedCipherSuites,
    supportedsignaturealgs: e.supportedSignatureAlgs,
    certstoretype: e.certStoreType,
    certstore: e.certStore,
    certpassword: e.certPassword,
    certsubject: e.certSubject,
  }),
  SSLStatus: (e) => ({ connectionid: e.connectionId, message: e.message }),
  WebSocketOpenRequest: (e) => ({
    connectionid: e.connectionId,
    requesturi: e.requestURI,
    hostheader: e.hostHeader,
    originheader: e.originHeader,
    subprotocols: e.subProtocols,
    extensions: e.extensions,
    requestheaders: e.requestHeaders,
    statuscode: e.statusCode,
    responseheaders: e.responseHeaders,
  }),
};

/**
 * Up to this many bytes `text` is decoded when the params are built (a 32-byte decode costs ~50 ns);
 * above it, on first read (defining the accessor costs ~0.7 µs, decoding 1 MiB of UTF-8 ~1 ms).
 */
export const EAGER_TEXT_LIMIT = 4096;

/**
 * Makes `params.text` decode `event.text` when first read; reading or assigning it turns it into an
 * ordinary data property. It stays an own enumerable key in its place, so Object.keys and spreads
 * see the same object as with an eager decode.
 */
function decodeOnFirstUse(params: EventParams, event: { readonly text: string }): void {
  const settle = (value: unknown): unknown => {
    Object.defineProperty(params, 'text', { value, writable: true, enumerable: true, configurable: true });
    return value;
  };
  Object.defineProperty(params, 'text', {
    get: () => settle(event.text),
    set: settle,
    enumerable: true,
    configurable: true,
  });
}

/** What the compat faces need to deliver one event: its params builder and its out-parameters. */
export interface EventBinding {
  readonly info: EventInfo;
  /** Builds the params object from the engine's event object. */
  readonly toParams: (event: object) => EventParams;
  /** The parameters read back after the callback; empty for events that have none (DataIn …). */
  readonly outs: readonly EventParamInfo[];
}

const BY_ID = new Map<number, EventBinding>(
  EVENTS.map((info) => [info.id, { info, toParams: PARAMS[info.name] as (event: object) => EventParams, outs: info.params.filter((p) => p.out) }]),
);

/** The event with this ID (a number or a string of digits), or undefined. */
export function eventBinding(id: unknown): EventBinding | undefined {
  return typeof id === 'number' ? BY_ID.get(id) : typeof id === 'string' && /^\d+$/.test(id) ? BY_ID.get(Number(id)) : undefined;
}

export function eventInfo(id: unknown): EventInfo | undefined {
  return eventBinding(id)?.info;
}

/** Copies the out-parameters back onto the engine event. */
export function readBack(binding: EventBinding, event: Record<string, unknown>, params: EventParams, returned: unknown): void {
  const source = returned !== null && typeof returned === 'object' ? (returned as EventParams) : params;
  for (const param of binding.outs) {
    if (!(param.name in source)) continue;
    const value = source[param.name];
    if (param.type === 'boolean') {
      const b = parseBoolean(value);
      if (b !== undefined) event[param.modern] = b;
    } else if (param.type === 'integer') {
      const n = parseInteger(value);
      if (n !== undefined) event[param.modern] = n;
    } else if (value !== undefined && value !== null) {
      event[param.modern] = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value);
    }
  }
}
