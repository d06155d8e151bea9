/**
 * What a connection is given by its server: the shared parts of the engine it works with. Connections
 * see the server only through this, so no module below the server face imports the server.
 */
import type { ClientList } from './client-filter';
import type { Dispatcher } from './dispatcher';
import type { FlushScheduler } from './flush-scheduler';
import type { Logger } from './logger';
import type { ServerCounters } from './server-counters';
import type { ReadTurns } from './read-clock';
import type { Settings } from './settings';

/** The address lists a connection is checked against (AllowedClients, BlockedClients, TrustedProxies); the acceptor owns them. */
export interface ClientLists {
  readonly allowed: ClientList;
  readonly blocked: ClientList;
  readonly trusted: ClientList;
}

export interface EngineContext {
  readonly settings: Settings;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly flusher: FlushScheduler;
  readonly turns: ReadTurns;
  /** What the server counts for operators (metrics.ts). */
  readonly metrics: ServerCounters;
  /** The client lists, as they are now (Config may replace them while listening). */
  readonly clients: ClientLists;
  /** DefaultTimeout: the Timeout a new connection starts with. */
  readonly defaultTimeout: number;
  /** A connection's socket closed: it leaves the registry. */
  connectionClosed(connectionId: number): void;
}
