import { expect } from 'chai';
import { allCases } from './cases/index';
import { startWsEcho } from './echo-servers';
import { runSuite } from './runner';
import { formatConsole, runConformance, unexpectedResults, type ConformanceRun } from './report';
import { writeReport } from './run';

describe('Conformance suite (Autobahn-style, ours and ws in one run)', function () {
  this.timeout(90000);
  let run: ConformanceRun;

  before(async () => {
    run = await runConformance();
    writeReport(run);
    // The table is part of the CI log; mocha's own reporter prints the pass/fail lines after it.
    console.log(formatConsole(run));
  });

  it('has unique case ids and covers every group', () => {
    const ids = allCases().map((c) => c.id);
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...new Set(allCases().map((c) => c.group))]).to.deep.equal([
      'Framing',
      'Ping/pong',
      'Reserved bits',
      'Opcodes',
      'Fragmentation',
      'UTF-8',
      'Close',
      'Limits',
      'Deflate echo',
      'Deflate negotiation',
    ]);
  });

  it('ran every case against both servers', () => {
    expect(run.ours.map((r) => r.id)).to.deep.equal(run.cases.map((c) => c.id));
    expect(run.ws.map((r) => r.id)).to.deep.equal(run.cases.map((c) => c.id));
  });

  it('our echo server: no FAILED case outside KNOWN_FAILURES', () => {
    expect(unexpectedResults(run).ours).to.deep.equal([]);
  });

  it('the ws reference: no FAILED case outside REFERENCE_DEVIATIONS (the suite agrees with ws)', () => {
    expect(unexpectedResults(run).reference).to.deep.equal([]);
  });

  it('finished well under a minute', () => {
    expect(run.ms).to.be.below(60000);
  });

  // The suite must be able to fail: against deliberately broken servers the relevant cases are FAILED.
  it('fails every invalid-UTF-8 case against a server that skips UTF-8 validation', async () => {
    const broken = await startWsEcho('no-utf8-check');
    try {
      const results = await runSuite(broken, allCases(), { only: ['6.4.'] });
      expect(results).to.have.length(29);
      expect(results.filter((r) => r.verdict !== 'FAILED').map((r) => r.id)).to.deep.equal([]);
      expect(results[0]!.reason).to.match(/^expected close 1007, got a protocol violation by the server: text message is not valid UTF-8/);
    } finally {
      await broken.stop();
    }
  });

  it('fails every echo case against a server that corrupts one byte of each echo', async () => {
    const broken = await startWsEcho('corrupting');
    try {
      const results = await runSuite(broken, allCases(), { only: ['1.1.', '1.2.', '12.1.'] });
      const nonEmpty = results.filter((r) => !r.title.includes('payload 0 bytes'));
      expect(nonEmpty).to.have.length(22);
      expect(nonEmpty.filter((r) => r.verdict !== 'FAILED').map((r) => r.id)).to.deep.equal([]);
      expect(nonEmpty[0]!.reason).to.match(/^expected the echo \(text, 125 bytes\), got a text message of 125 bytes/);
    } finally {
      await broken.stop();
    }
  });
});
