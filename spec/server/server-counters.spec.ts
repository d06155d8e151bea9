/** ServerCounters' own bookkeeping: ends by kind, close codes, the traffic of connections gone. */
import { expect } from 'chai';
import { Gone, ServerCounters } from '../../lib/server/server-counters';

describe('ServerCounters', () => {
  const traffic = { messagesIn: 1, messagesOut: 2, bytesIn: 30, bytesOut: 40 };

  it('puts down each end by its kind and keeps the traffic of every connection gone', () => {
    const counters = new ServerCounters();
    counters.connectionGone(traffic, Gone.Opened, 1006);
    counters.connectionGone(traffic, Gone.Opened, 1000);
    counters.connectionGone(traffic, Gone.Opened, 1006);
    counters.connectionGone(traffic, Gone.BeforeUpgrade, 0);
    counters.connectionGone(traffic, Gone.DuringHandshake, 0);
    counters.connectionGone(traffic, Gone.Counted, 0);
    expect([counters.openedGone, counters.beforeUpgrade, counters.duringHandshake]).to.deep.equal([3, 1, 1]);
    expect(counters.closeCodes.toRecord()).to.deep.equal({ 1000: 1, 1006: 2 });
    expect([counters.messagesIn, counters.messagesOut, counters.bytesIn, counters.bytesOut]).to.deep.equal([6, 12, 180, 240]);
  });

  it('tallies refused upgrades by status and protocol errors by close code, in key order', () => {
    const counters = new ServerCounters();
    counters.handshakeRefused(426);
    counters.handshakeRefused(400);
    counters.handshakeRefused(426);
    counters.protocolFailed(1007);
    expect(Object.entries(counters.handshakeRefusals.toRecord())).to.deep.equal([
      ['400', 1],
      ['426', 2],
    ]);
    expect(counters.protocolErrors.toRecord()).to.deep.equal({ 1007: 1 });
  });
});
