/**
 * IPWorksSSL_WSServer: the reference's object interface, built the way the vendor's generated PHP
 * wrappers are — one procedural resource underneath, getX/setX per property, getWSConnectionX(cid)
 * for the per-connection arrays, doX per method, and fireX(param) per event, which a subclass
 * overrides (the default returns `param` unchanged). Where the procedural call returns an error code,
 * these methods throw IPWorksSSLError ("<code>: <text>", with `.code`).
 *
 * The accessors are installed from the generated property table, so every property of the API
 * description has them; the interface below gives them their types.
 *
 * PHP ignores the case of method names, so this class does too (method-casing.ts): a subclass may
 * override `FireDataIn` or `firedatain` as well as `fireDataIn`, and every get*, set* and do* method
 * also answers in lower case, UPPER case and PascalCase (`DoSendText`, `getlocalport`). Only the
 * camelCase names are typed; the other spellings are there for ported scripts.
 */
import { errorMessage, EVENTS, PROPERTIES, PropertyId } from '../lib/generated/api';
import type { WSServer } from '../lib/server/ws-server';
import { DONE } from './compat-server';
import { IPWorksSSLError } from './errors';
import type { EventParams } from './events';
import { defineCaseAliases, eventMethodKeys } from './method-casing';
import * as api from './procedural';
import { watchedCall } from './unawaited-call';
import type { PropertyValue } from './properties';

type Param = EventParams;

const ignoreFailure = (): void => undefined;

const EVENT_NAMES: readonly string[] = EVENTS.map((event) => event.name);

/** The doX answer for a call that succeeded at once (shared: it carries no state). */
const SUCCEEDED: Promise<void> = Promise.resolve();

export interface IPWorksSSL_WSServer {
  getConnectionBacklog(): number;
  setConnectionBacklog(value: number): void;
  getWSConnectionCount(): number;
  getWSConnectionAcceptData(connectionid: number | string): boolean;
  setWSConnectionAcceptData(connectionid: number | string, value: boolean): void;
  getWSConnectionBytesSent(connectionid: number | string): number;
  getWSConnectionConnected(connectionid: number | string): boolean;
  setWSConnectionConnected(connectionid: number | string, value: boolean): void;
  getWSConnectionConnectionId(connectionid: number | string): string;
  getWSConnectionDataFormat(connectionid: number | string): number;
  setWSConnectionDataFormat(connectionid: number | string, value: number): void;
  setWSConnectionDataToSend(connectionid: number | string, value: string | Uint8Array): void;
  getWSConnectionHost(connectionid: number | string): string;
  getWSConnectionLineMode(connectionid: number | string): boolean;
  getWSConnectionLocalAddress(connectionid: number | string): string;
  getWSConnectionOrigin(connectionid: number | string): string;
  getWSConnectionReadyToSend(connectionid: number | string): boolean;
  getWSConnectionRemoteHost(connectionid: number | string): string;
  getWSConnectionRemotePort(connectionid: number | string): number;
  getWSConnectionRequestHeaders(connectionid: number | string): string;
  getWSConnectionRequestURI(connectionid: number | string): string;
  getWSConnectionSubProtocols(connectionid: number | string): string;
  getWSConnectionTimeout(connectionid: number | string): number;
  setWSConnectionTimeout(connectionid: number | string, value: number): void;
  getDefaultTimeout(): number;
  setDefaultTimeout(value: number): void;
  getListening(): boolean;
  setListening(value: boolean): void;
  getLocalHost(): string;
  setLocalHost(value: string): void;
  getLocalPort(): number;
  setLocalPort(value: number): void;
  getSSLAuthenticateClients(): boolean;
  setSSLAuthenticateClients(value: boolean): void;
  getSSLCertEncoded(): string;
  setSSLCertEncoded(value: string | Uint8Array): void;
  getSSLCertStore(): string;
  setSSLCertStore(value: string | Uint8Array): void;
  getSSLCertStorePassword(): string;
  setSSLCertStorePassword(value: string): void;
  getSSLCertStoreType(): number;
  setSSLCertStoreType(value: number): void;
  getSSLCertSubject(): string;
  setSSLCertSubject(value: string): void;
  getRuntimeLicense(): string;
  setRuntimeLicense(value: string): void;
}

export class IPWorksSSL_WSServer {
  /** The procedural resource behind this object. */
  readonly handle: number;

  constructor() {
    // Resolved before the handle exists: a class with two spellings of one handler fails cleanly.
    const keys = eventMethodKeys(new.target, EVENT_NAMES);
    this.handle = api.ipworksssl_wsserver_open();
    const self = this as unknown as Record<string, (p: Param) => unknown>;
    for (const event of EVENTS) {
      const key = keys.get(event.name)!;
      const fire =
        event.name === 'Error'
          ? (param: Param) => {
              this.inErrorHandler++;
              try {
                return self[key]!(param);
              } finally {
                this.inErrorHandler--;
              }
            }
          : (param: Param) => self[key]!(param);
      api.ipworksssl_wsserver_register_callback(this.handle, event.id, fire);
    }
  }

  /** Above 0 while fireError runs: an unawaited call that fails there is not reported through Error again (it could loop). */
  private inErrorHandler = 0;

  /** The engine (modern API) behind this object, for what the reference does not cover. */
  get server(): WSServer {
    return api.serverOf(this.handle)!.server;
  }

  /** The package version (property 0 of the procedural API). */
  VERSION(): string {
    return String(api.ipworksssl_wsserver_get(this.handle, PropertyId.Version));
  }

  /** The last error's text (the vendor wrappers' naming). */
  lastError(): string {
    return api.ipworksssl_wsserver_get_last_error(this.handle);
  }

  lastErrorCode(): number {
    return api.ipworksssl_wsserver_get_last_error_code(this.handle);
  }

  /** Frees the resource (shuts the server down). */
  dispose(): void {
    api.ipworksssl_wsserver_close(this.handle);
  }

  // ─── Methods ───

  doChangeLineMode(connectionid: number | string, linemode: boolean): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_changelinemode(this.handle, connectionid, linemode), connectionid);
  }

  doConfig(configurationstring: string): string {
    const result = api.ipworksssl_wsserver_do_config(this.handle, configurationstring);
    if (this.lastErrorCode() !== 0) throw new IPWorksSSLError(this.lastErrorCode(), this.lastError());
    return result;
  }

  doDisconnect(connectionid: number | string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_disconnect(this.handle, connectionid), connectionid);
  }

  doEvents(): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_doevents(this.handle));
  }

  doInterrupt(connectionid: number | string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_interrupt(this.handle, connectionid), connectionid);
  }

  doPauseData(connectionid: number | string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_pausedata(this.handle, connectionid), connectionid);
  }

  doPing(connectionid: number | string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_ping(this.handle, connectionid), connectionid);
  }

  doProcessData(connectionid: number | string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_processdata(this.handle, connectionid), connectionid);
  }

  doSend(connectionid: number | string, data: string | Uint8Array): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_send(this.handle, connectionid, data), connectionid);
  }

  doSendBytes(connectionid: number | string, data: string | Uint8Array): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_sendbytes(this.handle, connectionid, data), connectionid);
  }

  doSendFile(connectionid: number | string, filename: string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_sendfile(this.handle, connectionid, filename), connectionid);
  }

  doSendText(connectionid: number | string, text: string): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_sendtext(this.handle, connectionid, text), connectionid);
  }

  doShutdown(): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_shutdown(this.handle));
  }

  doStartListening(): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_startlistening(this.handle));
  }

  doStopListening(): Promise<void> {
    return this.check(api.ipworksssl_wsserver_do_stoplistening(this.handle));
  }

  // ─── Events: override in a subclass. Each gets the params object and may return it changed. ───

  fireConnected(param: Param): unknown {
    return param;
  }
  fireConnectionRequest(param: Param): unknown {
    return param;
  }
  fireDataIn(param: Param): unknown {
    return param;
  }
  fireDisconnected(param: Param): unknown {
    return param;
  }
  fireError(param: Param): unknown {
    return param;
  }
  fireLog(param: Param): unknown {
    return param;
  }
  firePing(param: Param): unknown {
    return param;
  }
  fireReadyToSend(param: Param): unknown {
    return param;
  }
  fireSSLClientAuthentication(param: Param): unknown {
    return param;
  }
  fireSSLConnectionRequest(param: Param): unknown {
    return param;
  }
  fireSSLStatus(param: Param): unknown {
    return param;
  }
  fireWebSocketOpenRequest(param: Param): unknown {
    return param;
  }

  /**
   * Turns a procedural code into a rejected IPWorksSSLError. A failure that nobody awaits goes to the
   * Error event instead (unawaited-call.ts), with the call's connection id, so a call left without
   * `await` never ends the process.
   */
  private check(result: Promise<number>, connectionid?: number | string): Promise<void> {
    // A call that succeeded at once (e.g. a send on an asynchronous connection): nothing to wait for.
    if (result === DONE) return SUCCEEDED;
    const report = this.inErrorHandler > 0 ? ignoreFailure : (error: IPWorksSSLError) => this.reportUnwatched(error, connectionid);
    return watchedCall(result, (code) => this.failure(code), report);
  }

  /** The error of a call that ended with `code`; its text, unless a later call already replaced the last error. */
  private failure(code: number): IPWorksSSLError {
    return new IPWorksSSLError(code, this.lastErrorCode() === code ? this.lastError() : errorMessage(code));
  }

  private reportUnwatched(error: IPWorksSSLError, connectionid: number | string | undefined): void {
    const id = typeof connectionid === 'number' || (typeof connectionid === 'string' && /^\d+$/.test(connectionid)) ? Number(connectionid) : 0;
    api.serverOf(this.handle)?.server.reportError(Number.isSafeInteger(id) ? id : 0, error.code, error.text);
  }

  /** @internal */
  getProperty(id: number, index?: number | string): PropertyValue {
    const value = api.ipworksssl_wsserver_get(this.handle, id, index);
    const code = this.lastErrorCode();
    if (code !== 0) throw new IPWorksSSLError(code, this.lastError());
    return value as PropertyValue;
  }

  /** @internal */
  setProperty(id: number, index: number | string | undefined, value: unknown): void {
    const code = index === undefined ? api.ipworksssl_wsserver_set(this.handle, id, value) : api.ipworksssl_wsserver_set(this.handle, id, index, value);
    if (code !== 0) throw new IPWorksSSLError(code, this.lastError());
  }
}

// getX / setX for every property of the table (getWSConnectionX(cid) / setWSConnectionX(cid, v) for the arrays).
for (const property of PROPERTIES) {
  if (property.id === PropertyId.Version) continue;
  const prototype = IPWorksSSL_WSServer.prototype as unknown as Record<string, unknown>;
  if (property.access !== 'wo') {
    prototype[`get${property.name}`] = property.perConnection
      ? function (this: IPWorksSSL_WSServer, connectionid: number | string) {
          return this.getProperty(property.id, connectionid);
        }
      : function (this: IPWorksSSL_WSServer) {
          return this.getProperty(property.id);
        };
  }
  if (property.access !== 'ro') {
    prototype[`set${property.name}`] = property.perConnection
      ? function (this: IPWorksSSL_WSServer, connectionid: number | string, value: unknown) {
          this.setProperty(property.id, connectionid, value);
        }
      : function (this: IPWorksSSL_WSServer, value: unknown) {
          this.setProperty(property.id, undefined, value);
        };
  }
}

// PHP spellings of every call: getlocalport, GETLOCALPORT, GetLocalPort, DoSendText … (method-casing.ts).
defineCaseAliases(IPWorksSSL_WSServer.prototype, (name) => /^(get|set|do)[A-Z]/.test(name) && name !== 'getProperty' && name !== 'setProperty');
