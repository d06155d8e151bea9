/**
 * The hand-written half of the vendor's Node edition shape (`wsserver-compat/ipworks`): one engine
 * underneath, property access by ID through compat/properties.ts (so values are checked exactly as in
 * the procedural and PHP-style faces), events by name with chainable `.on()`, and method calls whose
 * failures also reach the Error event. The generated half (generated.ts) adds one named method per
 * property, method and event of tools/api/wsserver.json on top of this class.
 *
 * Events fire as they occur (ProcessIdleEvents=true, as in the modern API), so a script that never
 * calls doEvents() works; the vendor samples' `while (true) await doEvents()` still does, since
 * doEvents() with nothing queued waits SelectWaitMillis instead of returning at once.
 */
import { EVENTS, ErrorCode, errorMessage, propertyInfo, type PropertyInfo } from '../../lib/generated/api';
import { WSServerError, toServerError } from '../../lib/server/errors';
import type { WSServerEventName, WSServerEvents } from '../../lib/server/events';
import type { ConnectionIdLike } from '../../lib/server/registry';
import { WSServer } from '../../lib/server/ws-server';
import type { WSConnection } from '../../lib/server/ws-connection';
import { getProperty, setProperty, type PropertyState, type PropertyValue } from '../properties';

/** An event handler: gets the event object (camelCase fields; out-parameters are set on it), `this` the server. */
export type Handler<K extends WSServerEventName, S = NodeEditionServer> = (this: S, e: WSServerEvents[K]) => unknown;

// `any`: each handler is typed for the subclass it was added on; stored, they are all one kind.
type AnyHandler = (this: any, e: never) => unknown;
type Listener = (event: unknown) => unknown;

const EVENT_NAMES: ReadonlySet<string> = new Set(EVENTS.map((e) => e.name));

export class NodeEditionServer {
  /** The engine (the modern WSServer) behind this object, for what the vendor's shape does not cover. */
  readonly server: WSServer = new WSServer();
  private readonly state: PropertyState = { runtimeLicense: '' };
  /** Handler -> the listeners registered for it on the engine, per event name (for off()). */
  private readonly listeners = new Map<string, Map<AnyHandler, Listener[]>>();
  /** Bound once: the rejection branch every method call shares. */
  private readonly reportLater = (error: unknown): void => this.reportFailure(0, error);

  /** Adds a handler for the event `name` (the reference's spelling, e.g. 'DataIn'); returns this, for chaining. */
  on<K extends WSServerEventName>(name: K, handler: Handler<K, this>): this {
    this.server.on(checkEventName(name), this.listenerFor(name, handler as AnyHandler, false));
    return this;
  }

  /** Adds a handler that runs for the next `name` event only; returns this. */
  once<K extends WSServerEventName>(name: K, handler: Handler<K, this>): this {
    this.server.once(checkEventName(name), this.listenerFor(name, handler as AnyHandler, true));
    return this;
  }

  /** Removes a handler added with on() or once(); returns this. */
  off<K extends WSServerEventName>(name: K, handler: Handler<K, this>): this {
    const byHandler = this.listeners.get(checkEventName(name));
    const list = byHandler?.get(handler as AnyHandler);
    const listener = list?.pop();
    if (listener) this.server.off(name, listener);
    if (list && list.length === 0) byHandler!.delete(handler as AnyHandler);
    return this;
  }

  /** @internal The value of property `id` (of connection `connectionId` for the per-connection ones). */
  property(id: number, connectionId?: ConnectionIdLike): PropertyValue {
    return getProperty(this.server, this.state, info(id), connectionId);
  }

  /** @internal Sets property `id`; throws WSServerError (605 for a value that does not fit, 126, 603 …). */
  assign(id: number, value: unknown, connectionId?: ConnectionIdLike): void {
    setProperty(this.server, this.state, info(id), connectionId, value, sendAsModern);
  }

  /**
   * @internal The promise of a method call, returned as it is: a failure rejects it, and also fires the
   * Error event, so a call nobody awaits (`wsserver.sendText(id, text)` in a handler) never becomes an
   * unhandled rejection that ends the process.
   */
  settle(connectionId: unknown, started: Promise<void>): Promise<void> {
    started.then(undefined, connectionId === undefined ? this.reportLater : (error) => this.reportFailure(connectionId, error));
    return started;
  }

  /** @internal A method that threw before it returned a promise: the same two ways out as settle(). */
  failed(connectionId: unknown, error: unknown): Promise<void> {
    return this.settle(connectionId, Promise.reject(toServerError(error)));
  }

  private reportFailure(connectionId: unknown, error: unknown): void {
    const failure = toServerError(error);
    const id = typeof connectionId === 'number' ? connectionId : Number(connectionId);
    this.server.reportError(Number.isInteger(id) && id > 0 ? id : 0, failure.code, failure.message);
  }

  /** The engine calls listeners with itself as `this`; handlers get this object instead. */
  private listenerFor(name: string, handler: AnyHandler, once: boolean): Listener {
    if (typeof handler !== 'function') {
      throw new WSServerError(ErrorCode.InvalidArgument, `${errorMessage(ErrorCode.InvalidArgument)} The handler of ${name} must be a function.`);
    }
    let byHandler = this.listeners.get(name);
    if (!byHandler) this.listeners.set(name, (byHandler = new Map()));
    let list = byHandler.get(handler);
    if (!list) byHandler.set(handler, (list = []));
    const registered = list;
    const listener: Listener = once
      ? (event) => {
          forget(byHandler!, handler, registered, listener);
          return handler.call(this, event as never);
        }
      : (event) => handler.call(this, event as never);
    registered.push(listener);
    return listener;
  }
}

function forget(byHandler: Map<AnyHandler, Listener[]>, handler: AnyHandler, list: Listener[], listener: Listener): void {
  const at = list.indexOf(listener);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) byHandler.delete(handler);
}

/** Event names are the reference's, spelt exactly; anything else is 611, naming the spelling meant if there is one. */
function checkEventName(name: unknown): WSServerEventName {
  if (typeof name === 'string' && EVENT_NAMES.has(name)) return name as WSServerEventName;
  const meant = typeof name === 'string' ? EVENTS.find((e) => e.name.toLowerCase() === name.toLowerCase()) : undefined;
  const hint = meant ? ` Did you mean '${meant.name}'?` : ` Events: ${EVENTS.map((e) => e.name).join(', ')}.`;
  throw new WSServerError(ErrorCode.UnknownEvent, `Unknown event name '${String(name)}'.${hint}`);
}

function info(id: number): PropertyInfo {
  const found = propertyInfo(id);
  if (!found) throw new WSServerError(ErrorCode.UnknownProperty);
  return found;
}

/** The Node edition's DataToSend: strings are text by CodePage, as in the modern API (not byte strings). */
function sendAsModern(server: WSServer, connection: WSConnection, data: unknown): void {
  server.setDataToSend(connection.connectionId, data instanceof Uint8Array ? data : String(data));
}
