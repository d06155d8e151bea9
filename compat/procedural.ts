/**
 * The procedural interface of the reference, named exactly (ipworksssl_wsserver_*), over a handle
 * table. Nothing here throws: a bad handle, a bad ID or a failed operation gives an error code (and
 * the last error); do_config is synchronous; every other do_* returns a Promise of 0 or an error code
 * whose side effect has already started when it returns.
 *
 * Per-connection set: `set(res, id, index, value)` (the reference's procedural summary). Its
 * per-property lines show `(res, id, value, index)`; we follow the summary (see docs/MIGRATING.md).
 */
import { ErrorCode, errorMessage } from '../lib/generated/api';
import { CompatServer } from './compat-server';
import type { EventCallback } from './events';
import { HandleTable } from './handle-table';
import type { PropertyValue } from './properties';

const handles = new HandleTable<CompatServer>();

/** What get_last_error* answer for a handle that does not exist. */
const badHandle = { code: ErrorCode.InvalidHandle, message: errorMessage(ErrorCode.InvalidHandle) };

function resource(res: unknown): CompatServer | undefined {
  return handles.get(typeof res === 'string' && /^\d+$/.test(res) ? Number(res) : res);
}

/** Opens a new server resource (a positive integer handle). */
export function ipworksssl_wsserver_open(): number {
  return handles.add(new CompatServer());
}

/** Shuts the server down (as do_shutdown, without waiting) and frees the handle. */
export function ipworksssl_wsserver_close(res: number): number {
  const server = resource(res);
  if (!server) return ErrorCode.InvalidHandle;
  handles.remove(Number(res));
  server.server.removeAllListeners();
  void server.server.shutdown().catch(() => undefined);
  return 0;
}

/** Registers `fn` for event `eventId` (1–12); null unregisters. */
export function ipworksssl_wsserver_register_callback(res: number, eventId: number, fn: EventCallback | null): number {
  const server = resource(res);
  return server ? server.registerCallback(eventId, fn) : ErrorCode.InvalidHandle;
}

export function ipworksssl_wsserver_get_last_error(res: number): string {
  return resource(res)?.lastError ?? badHandle.message;
}

export function ipworksssl_wsserver_get_last_error_code(res: number): number {
  return resource(res)?.lastErrorCode ?? badHandle.code;
}

/** A property's value, or false with the last error set. `index` is the ConnectionId of per-connection properties. */
export function ipworksssl_wsserver_get(res: number, id: number, index?: number | string): PropertyValue | false {
  const server = resource(res);
  return server ? server.get(id, index) : false;
}

/**
 * Sets a property: `set(res, id, value)`, or `set(res, id, index, value)` for a per-connection
 * property (index = ConnectionId). Returns 0 or an error code.
 */
export function ipworksssl_wsserver_set(res: number, id: number, value: unknown): number;
export function ipworksssl_wsserver_set(res: number, id: number, index: number | string, value: unknown): number;
export function ipworksssl_wsserver_set(res: number, id: number, ...rest: unknown[]): number {
  const server = resource(res);
  if (!server) return ErrorCode.InvalidHandle;
  return rest.length >= 2 ? server.set(id, rest[0], rest[1]) : server.set(id, undefined, rest[0]);
}

/** Config: "Name=Value" sets, "Name" reads; synchronous. '' with the last error set on failure. */
export function ipworksssl_wsserver_do_config(res: number, configurationstring: string): string {
  const server = resource(res);
  return server ? server.config(configurationstring) : '';
}

function call(res: unknown, body: (server: CompatServer) => Promise<unknown>): Promise<number> {
  const server = resource(res);
  if (!server) return Promise.resolve(ErrorCode.InvalidHandle);
  return server.runAsync(() => body(server));
}

export function ipworksssl_wsserver_do_changelinemode(res: number, connectionid: number | string, linemode: unknown): Promise<number> {
  return call(res, (s) => s.server.changeLineMode(connectionid, lineModeValue(linemode)));
}

export function ipworksssl_wsserver_do_disconnect(res: number, connectionid: number | string): Promise<number> {
  return call(res, (s) => s.server.disconnect(connectionid));
}

export function ipworksssl_wsserver_do_doevents(res: number): Promise<number> {
  const server = resource(res);
  return server ? server.doEvents() : Promise.resolve(ErrorCode.InvalidHandle);
}

export function ipworksssl_wsserver_do_interrupt(res: number, connectionid: number | string): Promise<number> {
  return call(res, (s) => s.server.interrupt(connectionid));
}

export function ipworksssl_wsserver_do_pausedata(res: number, connectionid: number | string): Promise<number> {
  return call(res, (s) => s.server.pauseData(connectionid));
}

export function ipworksssl_wsserver_do_ping(res: number, connectionid: number | string): Promise<number> {
  return call(res, (s) => s.server.ping(connectionid));
}

export function ipworksssl_wsserver_do_processdata(res: number, connectionid: number | string): Promise<number> {
  return call(res, (s) => s.server.processData(connectionid));
}

export function ipworksssl_wsserver_do_send(res: number, connectionid: number | string, data: string | Uint8Array): Promise<number> {
  const server = resource(res);
  return server ? server.send(connectionid, data) : Promise.resolve(ErrorCode.InvalidHandle);
}

export function ipworksssl_wsserver_do_sendbytes(res: number, connectionid: number | string, data: string | Uint8Array): Promise<number> {
  const server = resource(res);
  return server ? server.sendBytes(connectionid, data) : Promise.resolve(ErrorCode.InvalidHandle);
}

export function ipworksssl_wsserver_do_sendfile(res: number, connectionid: number | string, filename: string): Promise<number> {
  return call(res, (s) => s.server.sendFile(connectionid, filename));
}

export function ipworksssl_wsserver_do_sendtext(res: number, connectionid: number | string, text: string): Promise<number> {
  const server = resource(res);
  return server ? server.sendText(connectionid, text) : Promise.resolve(ErrorCode.InvalidHandle);
}

export function ipworksssl_wsserver_do_shutdown(res: number): Promise<number> {
  return call(res, (s) => s.server.shutdown());
}

export function ipworksssl_wsserver_do_startlistening(res: number): Promise<number> {
  return call(res, (s) => s.server.startListening());
}

export function ipworksssl_wsserver_do_stoplistening(res: number): Promise<number> {
  return call(res, (s) => s.server.stopListening());
}

/** ChangeLineMode's flag takes the reference's boolean spellings. */
function lineModeValue(value: unknown): boolean {
  if (value === true || value === false) return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (['0', 'false', 'no', ''].includes(text)) return false;
  throw new TypeError(`linemode must be a boolean, got ${String(value)}`);
}

/** The short aliases. */
export {
  ipworksssl_wsserver_open as wsserver_open,
  ipworksssl_wsserver_close as wsserver_close,
  ipworksssl_wsserver_register_callback as wsserver_register_callback,
  ipworksssl_wsserver_get_last_error as wsserver_get_last_error,
  ipworksssl_wsserver_get_last_error_code as wsserver_get_last_error_code,
  ipworksssl_wsserver_get as wsserver_get,
  ipworksssl_wsserver_set as wsserver_set,
  ipworksssl_wsserver_do_config as wsserver_do_config,
  ipworksssl_wsserver_do_changelinemode as wsserver_do_changelinemode,
  ipworksssl_wsserver_do_disconnect as wsserver_do_disconnect,
  ipworksssl_wsserver_do_doevents as wsserver_do_doevents,
  ipworksssl_wsserver_do_interrupt as wsserver_do_interrupt,
  ipworksssl_wsserver_do_pausedata as wsserver_do_pausedata,
  ipworksssl_wsserver_do_ping as wsserver_do_ping,
  ipworksssl_wsserver_do_processdata as wsserver_do_processdata,
  ipworksssl_wsserver_do_send as wsserver_do_send,
  ipworksssl_wsserver_do_sendbytes as wsserver_do_sendbytes,
  ipworksssl_wsserver_do_sendfile as wsserver_do_sendfile,
  ipworksssl_wsserver_do_sendtext as wsserver_do_sendtext,
  ipworksssl_wsserver_do_shutdown as wsserver_do_shutdown,
  ipworksssl_wsserver_do_startlistening as wsserver_do_startlistening,
  ipworksssl_wsserver_do_stoplistening as wsserver_do_stoplistening,
};

/** The engine behind a handle (for the PHP-style class and tests); undefined for a bad handle. */
export function serverOf(res: number): CompatServer | undefined {
  return resource(res);
}
