import { expect } from 'chai';
import sinon from 'sinon';
import { Phase, type ConnectionBase } from '../../lib/server/connection-base';
import { ConnectionExtras } from '../../lib/server/connection-extras';
import { PROXY_HEADER_FALLBACK_MS, beginProxyHeader, proxyHeaderEnded, receiveProxyHeader } from '../../lib/server/proxy-intake';
import { ReadGate, ReadHold } from '../../lib/server/read-gate';
import { ServerCounters } from '../../lib/server/server-counters';
import { Settings } from '../../lib/server/settings';

/** A connection as the intake sees it: a real read gate over a socket that records what is done to it. */
function fakeConnection(handshakeTimeout: number) {
  const calls: string[] = [];
  const socket = {
    pause: () => void calls.push('pause'),
    resume: () => void calls.push('resume'),
    unshift: (chunk: Buffer) => void calls.push(`unshift ${chunk.toString('latin1')}`),
  };
  const logs: string[] = [];
  const metrics = new ServerCounters();
  let host = '127.0.0.1';
  let port = 5555;
  const connection = {
    connectionId: 7,
    stage: Phase.Requested as Phase,
    extra: null as ConnectionExtras | null,
    extras() {
      return (this.extra ??= new ConnectionExtras());
    },
    engine: {
      settings: new Settings({ HandshakeTimeout: handshakeTimeout }),
      metrics,
      logger: { logs: () => true, log: (_id: number, _level: number, message: string) => void logs.push(message) },
    },
    driver: {
      gate: new ReadGate(socket, ReadHold.Admission),
      rawSocket: socket,
      get remoteHost() {
        return host;
      },
      get remotePort() {
        return port;
      },
      useClientAddress(newHost: string, newPort: number | null) {
        host = newHost;
        if (newPort !== null) port = newPort;
      },
    },
    destroyed: false,
    destroy() {
      this.destroyed = true;
    },
  };
  return { connection, asBase: connection as unknown as ConnectionBase, calls, logs, metrics, address: () => ({ host, port }) };
}

describe('proxy-intake', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it('reads the header, holds reading before it puts back what followed, applies the address, then proceeds', () => {
    const { connection, asBase, calls, address } = fakeConnection(30);
    let proceeded = 0;
    beginProxyHeader(asBase, () => {
      proceeded++;
      calls.push('proceed');
    });
    expect(calls).to.deep.equal(['resume']);
    const intake = connection.extra!.proxyIntake!;
    receiveProxyHeader(asBase, intake, Buffer.from('PROXY TCP4 192.0.2.1 10.0.0.1 ', 'latin1'));
    expect(proceeded).to.equal(0);
    receiveProxyHeader(asBase, intake, Buffer.from('4000 80\r\nGET /', 'latin1'));
    expect(calls).to.deep.equal(['resume', 'pause', 'unshift GET /', 'proceed']);
    expect(address()).to.deep.equal({ host: '192.0.2.1', port: 4000 });
    expect(connection.driver.gate.isHeld(ReadHold.Admission)).to.equal(true);
    expect(connection.extra!.proxyIntake).to.equal(null);
    // The deadline went with the intake.
    clock.tick(60_000);
    expect(connection.destroyed).to.equal(false);
  });

  it('puts nothing back when the header ended the read, and keeps the address for LOCAL', () => {
    const { asBase, connection, calls, address } = fakeConnection(30);
    beginProxyHeader(asBase, () => void calls.push('proceed'));
    receiveProxyHeader(asBase, connection.extra!.proxyIntake!, Buffer.from('PROXY UNKNOWN\r\n', 'latin1'));
    expect(calls).to.deep.equal(['resume', 'pause', 'proceed']);
    expect(address()).to.deep.equal({ host: '127.0.0.1', port: 5555 });
  });

  it('refuses a bad header: closed, counted, logged with its code, never proceeding', () => {
    const { asBase, connection, logs, metrics } = fakeConnection(30);
    let proceeded = false;
    beginProxyHeader(asBase, () => (proceeded = true));
    receiveProxyHeader(asBase, connection.extra!.proxyIntake!, Buffer.from('GET / HTTP/1.1\r\n', 'latin1'));
    expect(proceeded).to.equal(false);
    expect(connection.destroyed).to.equal(true);
    expect(connection.stage).to.equal(Phase.Closed);
    expect(metrics.refusedProxyHeader).to.equal(1);
    expect(logs.join('\n')).to.match(/refused: the connection does not begin with a PROXY protocol header \(PROXY_ERR_MISSING\)/);
  });

  it('closes at HandshakeTimeout when the header is incomplete', () => {
    const { asBase, connection, logs, metrics } = fakeConnection(2);
    beginProxyHeader(asBase, () => undefined);
    receiveProxyHeader(asBase, connection.extra!.proxyIntake!, Buffer.from('PROXY TCP4', 'latin1'));
    clock.tick(1999);
    expect(connection.destroyed).to.equal(false);
    clock.tick(1);
    expect(connection.destroyed).to.equal(true);
    expect(metrics.refusedProxyHeader).to.equal(1);
    expect(logs.join('\n')).to.match(/incomplete at the deadline \(10 bytes, truncated\)/);
  });

  it(`falls back to ${PROXY_HEADER_FALLBACK_MS} ms when HandshakeTimeout is 0`, () => {
    const { asBase, connection, logs } = fakeConnection(0);
    beginProxyHeader(asBase, () => undefined);
    clock.tick(PROXY_HEADER_FALLBACK_MS - 1);
    expect(connection.destroyed).to.equal(false);
    clock.tick(1);
    expect(connection.destroyed).to.equal(true);
    expect(logs.join('\n')).to.match(/no PROXY protocol header within the deadline/);
  });

  it('refuses at once when the peer ends a truncated header', () => {
    const { asBase, connection, logs, metrics } = fakeConnection(30);
    beginProxyHeader(asBase, () => undefined);
    const intake = connection.extra!.proxyIntake!;
    receiveProxyHeader(asBase, intake, Buffer.from('PROXY ', 'latin1'));
    proxyHeaderEnded(asBase, intake);
    expect(connection.destroyed).to.equal(true);
    expect(metrics.refusedProxyHeader).to.equal(1);
    expect(logs.join('\n')).to.match(/closed after 6 bytes of a PROXY protocol header \(truncated\)/);
    // Its deadline is gone with it: nothing is counted twice.
    clock.tick(60_000);
    expect(metrics.refusedProxyHeader).to.equal(1);
  });

  it('does nothing at the deadline for a connection already closed', () => {
    const { asBase, connection, metrics } = fakeConnection(1);
    beginProxyHeader(asBase, () => undefined);
    connection.stage = Phase.Closed;
    clock.tick(1000);
    expect(connection.destroyed).to.equal(false);
    expect(metrics.refusedProxyHeader).to.equal(0);
  });
});
