/**
 * The Prometheus text exposition of a metrics snapshot, checked against the format's rules: every line
 * ends with a line feed, each metric is one group led by HELP and TYPE, counters end in _total, label
 * values are escaped, names are valid.
 */
import { expect } from 'chai';
import type { ServerMetrics } from '../../lib/server/metrics';
import { METRICS_CONTENT_TYPE, formatMetricsText } from '../../lib/server/metrics-text';

function snapshot(): ServerMetrics {
  return {
    listening: true,
    connections: { total: 3, requested: 0, handshake: 1, opening: 0, open: 1, closing: 1 },
    accepted: 10,
    opened: 7,
    healthChecks: 8,
    queues: { outputBytes: 100, heldInputBytes: 2, assemblyBytes: 3, backlogBytes: 4, backlogEvents: 5 },
    readHolds: { Output: 1 },
    budgetHits: { output: 6, backlog: 0 },
    traffic: { messagesIn: 11, messagesOut: 12, bytesIn: 13, bytesOut: 2 ** 40 },
    refusals: { maxConnections: 1, connectionRequest: 2, proxyHeader: 9, handshake: { 400: 3, 426: 1 } },
    failures: { beforeUpgrade: 0, duringHandshake: 1, protocol: { 1002: 2 }, outputOverflow: 0, socketError: 0, shutdownDeadline: 0 },
    closeCodes: { 1000: 5, 1006: 2 },
  };
}

describe('formatMetricsText', () => {
  const text = formatMetricsText(snapshot());
  const lines = text.split('\n');

  it('ends every line, the last one too, with a line feed', () => {
    expect(text.endsWith('\n')).to.equal(true);
    expect(lines.at(-1)).to.equal('');
    expect(lines.slice(0, -1).every((line) => line.length > 0)).to.equal(true);
  });

  it('writes each metric as one group: HELP, TYPE, then its samples', () => {
    const seen = new Set<string>();
    let current = '';
    for (const line of lines.slice(0, -1)) {
      const help = /^# HELP (\S+) \S/.exec(line);
      if (help) {
        expect(seen.has(help[1]!), `${help[1]} appears once`).to.equal(false);
        seen.add(help[1]!);
        current = help[1]!;
        continue;
      }
      const type = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
      if (type) {
        expect(type[1]).to.equal(current);
        if (type[2] === 'counter') expect(current.endsWith('_total'), current).to.equal(true);
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      expect(sample, line).to.not.equal(null);
      expect(sample![1]).to.equal(current);
      expect(Number.isFinite(Number(sample![3])), line).to.equal(true);
    }
    expect(seen.size).to.be.greaterThan(15);
  });

  it('shows the figures with their labels', () => {
    expect(lines).to.include.members([
      'wsserver_listening 1',
      'wsserver_connections{phase="handshake"} 1',
      'wsserver_connections_accepted_total 10',
      'wsserver_queued_bytes{budget="output"} 100',
      'wsserver_read_held_connections{reason="Output"} 1',
      'wsserver_payload_bytes_sent_total 1099511627776',
      'wsserver_refusals_total{reason="connection_request"} 2',
      'wsserver_refusals_total{reason="proxy_header"} 9',
      'wsserver_health_checks_total 8',
      'wsserver_handshake_refusals_total{status="400"} 3',
      'wsserver_protocol_errors_total{code="1002"} 2',
      'wsserver_disconnects_total{code="1006"} 2',
    ]);
  });

  it('adds the application labels to every sample, escaped, and takes another prefix', () => {
    const labelled = formatMetricsText(snapshot(), { prefix: 'chat', labels: { instance: 'a\\b"c\nd' } });
    expect(labelled).to.contain('chat_listening{instance="a\\\\b\\"c\\nd"} 1\n');
    expect(labelled).to.contain('chat_connections{instance="a\\\\b\\"c\\nd",phase="open"} 1\n');
    expect(labelled.split('\n').filter((l) => l !== '' && !l.startsWith('#')).every((l) => l.includes('instance="'))).to.equal(true);
  });

  it('refuses names the format does not allow', () => {
    expect(() => formatMetricsText(snapshot(), { labels: { 'bad-name': 'x' } })).to.throw(TypeError);
    expect(() => formatMetricsText(snapshot(), { labels: { __reserved: 'x' } })).to.throw(TypeError);
    expect(() => formatMetricsText(snapshot(), { prefix: '9lives' })).to.throw(TypeError);
  });

  it('names the content type of version 0.0.4', () => {
    expect(METRICS_CONTENT_TYPE).to.equal('text/plain; version=0.0.4; charset=utf-8');
  });
});
