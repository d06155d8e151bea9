import { expect } from 'chai';
import { WSServer } from '../../lib/server/ws-server';
import { WSServerError } from '../../lib/server/errors';
import { startServer } from '../helpers/server';
import { cleanup, rejection } from '../helpers/engine';

describe('WSServer errors from the network', () => {
  afterEach(cleanup);

  it('a port in use: StartListening rejects with a WSServerError 10048 (EADDRINUSE)', async () => {
    const { port } = await startServer();
    const server = new WSServer({ localHost: '127.0.0.1', localPort: port });
    const error = await rejection(server.startListening());
    expect(error).to.be.instanceOf(WSServerError);
    expect(error.name).to.equal('WSServerError');
    expect([error.code, error.message]).to.deep.equal([10048, '[10048] Address already in use.']);
    expect(server.listening).to.equal(false);
    // The failed attempt leaves nothing behind: the server can listen elsewhere.
    server.localPort = 0;
    await server.startListening();
    expect(server.localPort).to.be.greaterThan(0);
    await server.shutdown();
  });

  it('an address this machine does not have: 10049 (EADDRNOTAVAIL)', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
    const server = new WSServer({ localHost: '192.0.2.1', localPort: 0 });
    const error = await rejection(server.startListening());
    expect([error.code, error.message]).to.deep.equal([10049, "[10049] Can't assign requested address."]);
  });
});
