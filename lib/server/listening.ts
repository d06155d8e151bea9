/**
 * The server's listening life: StartListening (look up the client lists' host names, choose TLS, bind,
 * open the metrics port), StopListening, and what may change while it listens — the certificate new
 * connections get, and the host names of a client list set meanwhile. WSServer answers the API and
 * hands these to one Listening; what it holds (the TLS layer, the metrics listener, "starting") is
 * nobody else's.
 */
import { ErrorCode } from '../generated/api';
import type { CertificateSelection } from '../tls/cert-selection';
import type { TlsHost } from '../tls/tls-host';
import { prepareTls, type TlsLayer } from '../tls/tls-layer';
import type { Acceptor } from './acceptor';
import type { ClientList } from './client-filter';
import { resolveClientNames, type NameFailure } from './client-names';
import { WSServerError } from './errors';
import { MetricsEndpoint } from './metrics-endpoint';
import type { Settings } from './settings';

/** What Listening needs of the server: the TLS layer's view of it, plus its settings and metrics text. */
export interface ListeningHost extends TlsHost {
  readonly settings: Settings;
  metricsText(): string;
}

/** Where to listen (LocalHost, LocalPort, ConnectionBacklog). */
export interface ListenAddress {
  host: string;
  port: number;
  backlog: number;
}

export class Listening {
  /** Listening: true from a successful start until stop. */
  active = false;
  /** StartListening is under way (looking up the client lists' host names, binding). */
  private starting = false;
  /** The TLS layer while listening with TLS: a certificate selected meanwhile goes to it. */
  private tlsLayer: TlsLayer | null = null;
  /** MetricsPort's HTTP listener. */
  private readonly metricsEndpoint = new MetricsEndpoint();

  constructor(
    private readonly host: ListeningHost,
    private readonly acceptor: Acceptor,
    private readonly certificate: CertificateSelection,
  ) {}

  /** StartListening: 104 if already listening or starting; TLS errors (27x/282/608) and socket errors as 100xx codes. */
  async start(address: ListenAddress): Promise<void> {
    if (this.active || this.acceptor.active || this.starting) throw new WSServerError(ErrorCode.AlreadyListening);
    // TLS when a certificate was selected (UseSSL forces either way).
    const tls = prepareTls(this.host, this.certificate);
    const useIPv6 = this.host.settings.values.UseIPv6;
    const host = address.host || (useIPv6 === 0 ? '0.0.0.0' : '::');
    this.starting = true;
    try {
      // Host names in the client lists are looked up before the first client can arrive, so the filter
      // has no gap at the start (a failed lookup is reported and does not stop the server).
      await Promise.all([
        resolveClientNames('AllowedClients', this.acceptor.allowed, this.nameFailed),
        resolveClientNames('BlockedClients', this.acceptor.blocked, this.nameFailed),
      ]);
      await this.acceptor.listen({ host, port: address.port, backlog: address.backlog, ipv6Only: useIPv6 === 1 }, tls);
      await this.openMetricsEndpoint();
    } finally {
      this.starting = false;
    }
    this.tlsLayer = tls;
    this.active = true;
    this.host.log(0, 1, `Listening on ${host}:${this.acceptor.boundPort}.`, 'Info');
  }

  /** StopListening: no new connections; existing ones keep working. */
  stop(): void {
    this.active = false;
    this.tlsLayer = null;
    this.metricsEndpoint.close();
    if (this.acceptor.stop()) this.host.log(0, 1, 'Stopped listening.', 'Info');
  }

  /**
   * While listening with TLS, selecting a certificate (SSLCertSubject, SSLCertEncoded) replaces the one
   * new connections get, without a restart; established connections keep theirs. A selection that
   * cannot be used throws its 27x error then, and the previous certificate stays in use. Clearing the
   * selection, or selecting one for a plain listener, waits for the next StartListening.
   */
  certificateSelected(): void {
    const layer = this.tlsLayer;
    if (layer === null || !this.active || !this.certificate.requested) return;
    layer.replaceCertificate(this.certificate.resolve()!);
  }

  /**
   * Config gave AllowedClients or BlockedClients a new list: while listening (or starting) its host
   * names are looked up now (until then they fail closed, see defaultAccept); otherwise at start.
   */
  clientListChanged(setting: 'AllowedClients' | 'BlockedClients', list: ClientList): void {
    if (list.hostNames.length === 0 || !(this.acceptor.active || this.starting)) return;
    void resolveClientNames(setting, list, this.nameFailed);
  }

  /** MetricsPort > 0: serve metricsText() on the loopback port; when it cannot be bound, the start is undone. */
  private async openMetricsEndpoint(): Promise<void> {
    const port = this.host.settings.values.MetricsPort;
    if (port === 0) return;
    try {
      await this.metricsEndpoint.open(port, () => this.host.metricsText());
    } catch (error) {
      this.acceptor.stop();
      throw error;
    }
  }

  private readonly nameFailed = (failure: NameFailure): void => {
    this.host.log(0, 1, failure.description, 'Error');
    this.host.reportError(0, failure.code, failure.description);
  };
}
