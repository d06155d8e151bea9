/**
 * Listening (listening.ts): a start cannot overlap another start or a running listener (104), stop
 * is logged once and frees the port, and a client list set while listening is looked up at once
 * (the certificate swap while listening is in spec/tls). Over real loopback sockets.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import { WSServer } from '../../lib/server/ws-server';
import { startServer, stopServers } from '../helpers/server';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('Listening', () => {
  afterEach(stopServers);

  it('refuses a second start while the first is still under way, and one while listening (104)', async () => {
    const server = new WSServer({ localHost: '127.0.0.1', localPort: 0 });
    const first = server.startListening();
    const second = await server.startListening().then(() => 0, (e: { code: number }) => e.code);
    await first;
    const third = await server.startListening().then(() => 0, (e: { code: number }) => e.code);
    await server.shutdown();
    expect([second, third]).to.deep.equal([104, 104]);
  });

  it('stop frees the port, logs once, and a later start listens again', async () => {
    const { server, port } = await startServer({ config: { LogLevel: 1 } });
    const logs: string[] = [];
    server.on('Log', (e) => logs.push(e.message));
    await server.stopListening();
    await server.stopListening();
    expect(server.listening).to.equal(false);
    expect(await refused(port)).to.equal(true);
    expect(logs.filter((m) => m === 'Stopped listening.')).to.have.length(1);
    await server.startListening();
    expect(server.listening).to.equal(true);
  });

  it('a client list with a host name set while listening is looked up now: the name is refused on failure', async () => {
    const { server } = await startServer({ config: { LogLevel: 1 } });
    const errors: number[] = [];
    server.on('Error', (e) => errors.push(e.errorCode));
    const logged = new Promise<string>((resolve) => server.on('Log', (e) => e.logType === 'Error' && resolve(e.message)));
    server.config('AllowedClients=no-such-host.invalid');
    const message = await logged;
    expect(message).to.contain('no-such-host.invalid');
    expect(errors).to.have.length(1);
  });
});
