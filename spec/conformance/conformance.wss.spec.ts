import { expect } from 'chai';
import { startOurEcho, startWsEcho, type EchoTarget } from './echo-servers';
import { CaseFailure, Probe } from './probe';
import { formatConsole, runConformance, unexpectedResults, type ConformanceRun } from './report';
import { writeReport } from './run';

/**
 * A representative part of the suite again, over TLS: framing and UTF-8 (frames cut across TLS
 * records), close (close_notify after the close frame) and the compressed echoes — the group where
 * TLS changes the server's behaviour, because its outgoing queue fills before a kernel buffer would.
 */
const GROUPS = ['1.', '6.', '7.', '12.'];

describe('Conformance suite over TLS (wss://, ours and ws on node:https)', function () {
  this.timeout(60000);
  let run: ConformanceRun;

  before(async () => {
    run = await runConformance({ tls: true, only: GROUPS });
    writeReport(run);
    console.log(formatConsole(run));
  });

  it('ran the framing, UTF-8, close and deflate-echo cases against both servers over wss', () => {
    const selected = run.cases.filter((c) => GROUPS.some((prefix) => c.id.startsWith(prefix)));
    expect(run.transport).to.equal('wss');
    expect([...new Set(selected.map((c) => c.group))]).to.deep.equal(['Framing', 'UTF-8', 'Close', 'Deflate echo']);
    expect(selected).to.have.length(172);
    expect(run.ours.map((r) => r.id)).to.deep.equal(selected.map((c) => c.id));
    expect(run.ws.map((r) => r.id)).to.deep.equal(selected.map((c) => c.id));
  });

  it('our wss echo server: every case OK', () => {
    expect(run.ours.filter((r) => r.verdict !== 'OK').map((r) => `${r.id} ${r.verdict}: ${r.reason}`)).to.deep.equal([]);
  });

  it('the ws reference over node:https: no FAILED case outside REFERENCE_DEVIATIONS', () => {
    expect(unexpectedResults(run).reference).to.deep.equal([]);
    expect(run.ws.filter((r) => r.verdict === 'FAILED')).to.deep.equal([]);
  });

  it('finished within 15 s', () => {
    expect(run.ms).to.be.below(15000);
  });

  // Proof that the run above really went through TLS: the same targets refuse a plain-TCP handshake.
  for (const [name, start] of [
    ['ours', () => startOurEcho({ tls: true })],
    ['ws', () => startWsEcho('reference', { tls: true })],
  ] as Array<[string, () => Promise<EchoTarget>]>) {
    it(`the ${name} target speaks TLS 1.3 with the test certificate and no plain WebSocket`, async () => {
      const target = await start();
      const probes: Probe[] = [];
      try {
        expect(target.transport?.tls?.servername).to.equal('localhost');
        const secure = await Probe.open(target.port, {}, target.transport);
        probes.push(secure);
        expect(secure.tlsProtocol).to.equal('TLSv1.3');
        expect(secure.answer.status).to.equal(101);
        const plain = await Probe.connect(target.port);
        probes.push(plain);
        expect(plain.tlsProtocol).to.equal(null);
        const refused = await plain.handshake({}, 3000).then(
          () => null,
          (error: unknown) => error,
        );
        expect(refused).to.be.instanceOf(CaseFailure);
        expect((refused as CaseFailure).message).to.equal('connection closed during the opening handshake');
      } finally {
        for (const probe of probes) probe.destroy();
        await target.stop();
      }
    });
  }
});
