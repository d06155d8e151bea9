/**
 * A server's metrics in the Prometheus text exposition format (version 0.0.4), written from the
 * format's documentation rather than with a client library: lines end with '\n' (the last one too),
 * each metric's samples form one group led by its `# HELP` and `# TYPE` lines, counters end in
 * `_total`, label values escape backslash, double quote and line feed, HELP text backslash and line
 * feed. Label names and metric names are ours and fixed, so only values need escaping.
 */
import type { ServerMetrics } from './metrics';

/** The Content-Type of metricsText() for an HTTP answer. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsTextOptions {
  /** Added to every sample, e.g. { server: 'chat' } to tell several servers in one process apart. */
  labels?: Record<string, string>;
  /** Metric name prefix (default 'wsserver'). */
  prefix?: string;
}

type Sample = readonly [labels: Record<string, string | number>, value: number];

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Renders `metrics` as exposition text. Throws a TypeError for a label or prefix the format does not allow. */
export function formatMetricsText(metrics: ServerMetrics, options: MetricsTextOptions = {}): string {
  const prefix = options.prefix ?? 'wsserver';
  if (!METRIC_NAME.test(prefix)) throw new TypeError(`Not a metric name prefix: ${JSON.stringify(prefix)}`);
  const common = options.labels ?? {};
  for (const name of Object.keys(common)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`Not a label name: ${JSON.stringify(name)}`);
  }
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]) => {
    const full = `${prefix}_${name}`;
    lines.push(`# HELP ${full} ${escapeHelp(help)}`, `# TYPE ${full} ${type}`);
    for (const [labels, value] of samples) lines.push(`${full}${formatLabels({ ...common, ...labels })} ${formatValue(value)}`);
  };
  const one = (value: number): Sample[] => [[{}, value]];
  const keyed = (label: string, record: Record<string, number>): Sample[] => Object.entries(record).map(([key, value]) => [{ [label]: key }, value]);

  const c = metrics.connections;
  family('listening', 'gauge', 'Whether the server accepts connections (1) or not (0).', one(metrics.listening ? 1 : 0));
  family('connections', 'gauge', 'Connections now, by phase.', [
    [{ phase: 'requested' }, c.requested],
    [{ phase: 'handshake' }, c.handshake],
    [{ phase: 'opening' }, c.opening],
    [{ phase: 'open' }, c.open],
    [{ phase: 'closing' }, c.closing],
  ]);
  family('connections_accepted_total', 'counter', 'TCP connections accepted.', one(metrics.accepted));
  family('connections_opened_total', 'counter', 'WebSocket connections opened.', one(metrics.opened));
  family('health_checks_total', 'counter', 'HealthCheckPath requests answered 200.', one(metrics.healthChecks));
  const q = metrics.queues;
  family('queued_bytes', 'gauge', 'Bytes the connections hold now, by budget.', [
    [{ budget: 'output' }, q.outputBytes],
    [{ budget: 'held_input' }, q.heldInputBytes],
    [{ budget: 'assembly' }, q.assemblyBytes],
    [{ budget: 'backlog' }, q.backlogBytes],
  ]);
  family('queued_events', 'gauge', 'Events waiting for DoEvents on behalf of the connections.', one(q.backlogEvents));
  family('read_held_connections', 'gauge', 'Connections not read now, by reason.', keyed('reason', metrics.readHolds));
  family('budget_hits_total', 'counter', 'Times a budget stopped reading a connection.', [
    [{ budget: 'output' }, metrics.budgetHits.output],
    [{ budget: 'backlog' }, metrics.budgetHits.backlog],
  ]);
  const t = metrics.traffic;
  family('messages_received_total', 'counter', 'Text and binary messages received.', one(t.messagesIn));
  family('messages_sent_total', 'counter', 'Text and binary messages sent.', one(t.messagesOut));
  family('payload_bytes_received_total', 'counter', 'Payload bytes of the messages received (after inflation).', one(t.bytesIn));
  family('payload_bytes_sent_total', 'counter', 'Payload bytes of the messages sent (before compression).', one(t.bytesOut));
  const r = metrics.refusals;
  family('refusals_total', 'counter', 'Connections refused before the handshake, by reason.', [
    [{ reason: 'max_connections' }, r.maxConnections],
    [{ reason: 'connection_request' }, r.connectionRequest],
    [{ reason: 'proxy_header' }, r.proxyHeader],
  ]);
  family('handshake_refusals_total', 'counter', 'Upgrade requests answered with an HTTP error, by status.', keyed('status', r.handshake));
  const f = metrics.failures;
  family('failures_total', 'counter', 'Connections that ended badly, by reason.', [
    [{ reason: 'before_upgrade' }, f.beforeUpgrade],
    [{ reason: 'during_handshake' }, f.duringHandshake],
    [{ reason: 'output_overflow' }, f.outputOverflow],
    [{ reason: 'socket_error' }, f.socketError],
    [{ reason: 'shutdown_deadline' }, f.shutdownDeadline],
  ]);
  family('protocol_errors_total', 'counter', 'Connections failed for breaking the protocol, by the close code sent.', keyed('code', f.protocol));
  family('disconnects_total', 'counter', 'WebSocket connections ended, by the Disconnected status code.', keyed('code', metrics.closeCodes));
  return lines.join('\n') + '\n';
}

function formatLabels(labels: Record<string, string | number>): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(String(value))}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Integers as they are; the format's float spellings for the rest. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
