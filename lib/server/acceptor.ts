/**
 * Listening and accepting: the listening socket (plain, with TLS run per connection by lib/tls), the
 * MaxConnections and MaxHandshakesPerAddress limits, the connection's socket options, and
 * ConnectionRequest — the client lists (AllowedClients / BlockedClients) and the application's
 * decision, which may take its time (async) within HandshakeTimeout — before anything is read.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TlsLayer } from '../tls/tls-layer';
import { defaultAccept, parseClientList, type ClientList } from './client-filter';
import type { EngineContext } from './engine-context';
import { toServerError } from './errors';
import type { ConnectionRequestEvent } from './events';
import { Phase } from './connection-base';
import { HandshakeCount } from './handshake-limit';
import { beginProxyHeader } from './proxy-intake';
import type { ConnectionRegistry } from './registry';
import { secondsToTimer, timerDelay } from './timer-limit';
import { WSConnection } from './ws-connection';

export interface ListenOptions {
  host: string;
  port: number;
  backlog: number;
  ipv6Only: boolean;
}

export class Acceptor {
  private listener: Server | null = null;
  /** The TLS layer while TLS is on (set when listening starts); null for plain ws. */
  private tls: TlsLayer | null = null;
  /** The port bound (LocalPort 0 picks one). */
  boundPort = 0;
  allowed: ClientList = parseClientList('');
  blocked: ClientList = parseClientList('');
  /** TrustedProxies: the peers whose Forwarded / X-Forwarded-For headers are believed (see forwarded-client.ts). */
  trusted: ClientList = parseClientList('');
  /** Connections per remote address still in their handshake (MaxHandshakesPerAddress). */
  readonly handshaking = new HandshakeCount();

  constructor(
    private readonly engine: EngineContext,
    private readonly registry: ConnectionRegistry,
  ) {}

  /** A listening socket exists (StartListening was called and StopListening was not). */
  get active(): boolean {
    return this.listener !== null;
  }

  /** Binds and starts accepting; `tls` is the layer StartListening prepared (null: plain ws). */
  async listen(options: ListenOptions, tls: TlsLayer | null): Promise<void> {
    this.tls = tls;
    const listener = createServer({ pauseOnConnect: true });
    listener.on('connection', (socket) => this.accept(socket));
    this.listener = listener;
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host: options.host, port: options.port, backlog: options.backlog, ipv6Only: options.ipv6Only }, () => {
          listener.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.listener = null;
      listener.close();
      throw toServerError(error);
    }
    listener.on('error', (error) => {
      const failure = toServerError(error);
      this.engine.dispatcher.reportError(0, failure.code, failure.message);
    });
    const address = listener.address();
    this.boundPort = typeof address === 'object' && address ? address.port : options.port;
  }

  /** No new connections; existing ones keep working. Returns false when nothing was listening. */
  stop(): boolean {
    const listener = this.listener;
    this.listener = null;
    if (!listener) return false;
    // server.close() waits for every connection before calling back: do not wait for that.
    listener.close();
    return true;
  }

  /**
   * A TCP connection arrived (paused: nothing is read before ConnectionRequest allows it). With
   * ProxyProtocol=1 the PROXY header is read first, and the decisions about the client (per-address
   * limit, client lists, ConnectionRequest) wait for the address it names.
   */
  private accept(socket: Socket): void {
    const { settings, logger } = this.engine;
    const values = settings.values;
    if (this.registry.size >= values.MaxConnections) {
      const address = socket.remoteAddress ?? '';
      socket.on('error', () => undefined);
      socket.destroy();
      this.engine.metrics.refusedMaxConnections++;
      logger.log(0, 1, `Connection from ${address} refused: MaxConnections (${values.MaxConnections}) reached.`, 'Error');
      return;
    }
    if (values.ProxyProtocol === 1) {
      const connection = this.open(socket);
      beginProxyHeader(connection, () => this.proxied(connection));
      return;
    }
    const perAddress = values.MaxHandshakesPerAddress;
    const address = perAddress > 0 ? (socket.remoteAddress ?? '') : '';
    if (perAddress > 0 && this.handshaking.count(address) >= perAddress) {
      socket.on('error', () => undefined);
      socket.destroy();
      logger.log(0, 1, `Connection from ${address} refused: MaxHandshakesPerAddress (${perAddress}) connections from it are in their handshake.`, 'Error');
      return;
    }
    const connection = this.open(socket);
    if (perAddress > 0) this.countHandshake(connection, address);
    this.request(connection);
  }

  /** The connection object for an accepted socket, registered, with the socket options applied. */
  private open(socket: Socket): WSConnection {
    const values = this.engine.settings.values;
    const connection = new WSConnection(this.engine, socket, this.registry.nextId());
    this.registry.add(connection);
    if (values.TcpNoDelay) socket.setNoDelay(true);
    // Node hands the delay on in whole seconds through a 32-bit integer: clamped, it cannot wrap.
    if (values.KeepAliveTime > 0) socket.setKeepAlive(true, timerDelay(values.KeepAliveTime));
    return connection;
  }

  private countHandshake(connection: WSConnection, address: string): void {
    const count = this.handshaking;
    count.add(address, connection);
    connection.rawSocket.once('close', () => count.remove(address, connection));
  }

  /** ProxyProtocol=1: the header named the client (or kept the socket's address); now the decisions about it. */
  private proxied(connection: WSConnection): void {
    const perAddress = this.engine.settings.values.MaxHandshakesPerAddress;
    if (perAddress > 0) {
      const address = connection.remoteHost;
      if (this.handshaking.count(address) >= perAddress) {
        this.engine.logger.log(connection.connectionId, 1, `Connection from ${address} refused: MaxHandshakesPerAddress (${perAddress}) connections from it are in their handshake.`, 'Error');
        connection.stage = Phase.Closed;
        connection.destroy();
        return;
      }
      this.countHandshake(connection, address);
    }
    this.request(connection);
  }

  /** The client lists and ConnectionRequest decide; then the connection is admitted or refused. */
  private request(connection: WSConnection): void {
    const { settings, logger, dispatcher } = this.engine;
    const values = settings.values;
    const id = connection.connectionId;
    if (logger.logs(1)) logger.log(id, 1, `Connection request from ${connection.remoteHost}:${connection.remotePort}.`, 'Info');
    // The address is read only when something looks at it: the client lists, a listener, the log.
    const filtered = this.allowed.entries.length > 0 || this.blocked.entries.length > 0;
    if (!filtered && !dispatcher.listens('ConnectionRequest')) {
      this.admit(connection);
      return;
    }
    const event: ConnectionRequestEvent = {
      address: connection.remoteHost,
      port: connection.remotePort,
      accept: defaultAccept(connection.remoteHost, this.allowed, this.blocked),
    };
    // Held until decided — an async handler until its promise settles, within HandshakeTimeout.
    let decided = false;
    let deadline: NodeJS.Timeout | null = null;
    dispatcher.dispatchHeld('ConnectionRequest', event, (refused) => {
      decided = true;
      if (deadline) clearTimeout(deadline);
      // Closed meanwhile (the deadline, the client, a shutdown): nothing is left to decide.
      if (connection.stage !== Phase.Requested) return;
      if (!refused && event.accept) {
        this.admit(connection);
      } else {
        if (logger.logs(1)) logger.log(id, 1, `Connection from ${connection.remoteHost} refused${refused ? ': the ConnectionRequest handler failed' : ''}.`, refused ? 'Error' : 'Info');
        connection.refuse();
      }
    });
    const seconds = values.HandshakeTimeout;
    if (!decided && seconds > 0) deadline = setTimeout(undecided, secondsToTimer(seconds), connection);
  }

  /** Admitted: the upgrade request is read, after the TLS handshake when TLS is on. */
  private admit(connection: WSConnection): void {
    const tls = this.tls;
    if (tls === null) return connection.beginHandshake();
    connection.admitForTls();
    tls.begin(connection, () => connection.beginHandshake());
  }
}

/** ConnectionRequest was not decided within HandshakeTimeout (a DoEvents loop that stalls, a promise that never settles). */
function undecided(connection: WSConnection): void {
  if (connection.stage !== Phase.Requested) return;
  connection.engine.logger.log(connection.connectionId, 1, 'Connection refused: ConnectionRequest was not decided within HandshakeTimeout.', 'Error');
  connection.refuse();
}
