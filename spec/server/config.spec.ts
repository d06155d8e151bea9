import { expect } from 'chai';
import { VERSION, config } from '../../lib/server/config';
import { changeLineMode } from '../../lib/server/line-mode';
import { WSServer } from '../../lib/server/ws-server';
import { cleanup, rawConnection, thrown } from '../helpers/engine';
import { eventually, startServer } from '../helpers/server';

/** [code, message] of what `config` throws. */
function failure(target: WSServer, text: string): [number, string] {
  const error = thrown(() => config(target, text));
  return [error.code, error.message];
}

// config() works on any ConfigTarget; a WSServer is one (not listening unless started).
describe('config', () => {
  afterEach(cleanup);

  describe('names and syntax', () => {
    it('"Name" reads the value as a string, "Name=Value" sets it and returns ""', () => {
      const target = new WSServer();
      expect(config(target, 'MaxConnections')).to.equal('1000');
      expect(config(target, 'MaxConnections=5')).to.equal('');
      expect([config(target, 'MaxConnections'), target.settings.values.MaxConnections]).to.deep.equal(['5', 5]);
    });

    it('names are matched without case; booleans read back as the reference writes them', () => {
      const target = new WSServer();
      expect(config(target, 'tcpnodelay=YES')).to.equal('');
      expect(config(target, 'TcpNoDelay')).to.equal('True');
      config(target, 'TCPNODELAY=0');
      expect(config(target, 'TcpNoDelay')).to.equal('False');
    });

    it('unknown names and strings that are no setting at all fail with 606', () => {
      const target = new WSServer();
      expect(failure(target, 'NoSuchSetting')).to.deep.equal([606, 'Unknown configuration setting: NoSuchSetting.']);
      expect(failure(target, 'NoSuchSetting=1')).to.deep.equal([606, 'Unknown configuration setting: NoSuchSetting.']);
      expect(failure(target, '=1')).to.deep.equal([606, 'Unknown configuration setting: =1.']);
      expect(failure(target, 'MaxLineLength[1]x')).to.deep.equal([606, 'Unknown configuration setting: MaxLineLength[1]x.']);
    });

    it('read-only settings fail with 607 when set', () => {
      const target = new WSServer();
      expect(failure(target, 'BuildInfo=mine')).to.deep.equal([607, 'Configuration setting is read-only.']);
      expect(failure(target, 'LicenseInfo=x')[0]).to.equal(607);
    });

    it('values that do not fit the type or range fail with 608 and change nothing', () => {
      const target = new WSServer();
      expect(failure(target, 'MaxConnections=many')).to.deep.equal([608, 'Invalid configuration setting value for MaxConnections: many.']);
      expect(failure(target, 'TcpNoDelay=perhaps')[0]).to.equal(608);
      expect(config(target, 'MaxConnections')).to.equal('1000');
    });

    it('BuildInfo and LicenseInfo are answered by config itself', () => {
      const target = new WSServer();
      expect(config(target, 'BuildInfo')).to.equal(`wsserver-compat ${VERSION} (Node.js ${process.version}, ${process.platform}-${process.arch})`);
      expect(config(target, 'LicenseInfo')).to.match(/no license key is needed/);
    });
  });

  describe('checks of particular settings', () => {
    it('MaxConnections while listening fails with 108', async () => {
      const { server } = await startServer();
      expect(failure(server, 'MaxConnections=10')).to.deep.equal([108, 'Cannot change MaxConnections when SSLServer is listening.']);
      expect(server.settings.values.MaxConnections).to.equal(1000);
    });

    it('an unsupported CodePage fails with 612; a supported one is kept', () => {
      const target = new WSServer();
      expect(failure(target, 'CodePage=12345')).to.deep.equal([612, 'Unsupported code page: 12345.']);
      config(target, 'CodePage=65001');
      expect(config(target, 'CodePage')).to.equal('65001');
    });

    it('a DisconnectStatusCode that cannot be sent in a close frame fails with 608', () => {
      const target = new WSServer();
      expect(failure(target, 'DisconnectStatusCode=1005')).to.deep.equal([
        608,
        'Invalid configuration setting value for DisconnectStatusCode: 1005 cannot be sent in a close frame.',
      ]);
      config(target, 'DisconnectStatusCode=4000');
      expect(target.settings.values.DisconnectStatusCode).to.equal(4000);
    });

    it('AllowedClients and BlockedClients are parsed into the acceptor; a bad entry fails with 608', () => {
      const target = new WSServer();
      config(target, 'AllowedClients=127.0.0.0/8, ::1');
      config(target, 'BlockedClients=10.1.2.3');
      expect([target.acceptor.allowed.entries.length, target.acceptor.blocked.entries.length]).to.deep.equal([2, 1]);
      const [code, message] = failure(target, 'AllowedClients=300.1.1.1/99');
      expect(code).to.equal(608);
      expect(message).to.match(/^Invalid configuration setting value for AllowedClients: /);
      // The refused value changed nothing.
      expect([target.acceptor.allowed.entries.length, config(target, 'AllowedClients')]).to.deep.equal([2, '127.0.0.0/8, ::1']);
    });

    it('UseSSL takes true, false, auto or nothing; anything else fails with 608', () => {
      const target = new WSServer();
      for (const value of ['true', 'False', 'auto', '']) expect(config(target, `UseSSL=${value}`)).to.equal('');
      expect(failure(target, 'UseSSL=sometimes')).to.deep.equal([608, 'Invalid configuration setting value for UseSSL: use true, false or an empty value.']);
    });
  });

  describe('what follows from a new value', () => {
    it('ProcessIdleEvents=true fires what DoEvents had not fired yet', async () => {
      const target = new WSServer({ config: { ProcessIdleEvents: false } });
      const seen: number[] = [];
      target.on('Connected', (e) => seen.push(e.connectionId));
      target.dispatcher.dispatchEvent('Connected', { connectionId: 7 });
      expect(seen).to.deep.equal([]);
      config(target, 'ProcessIdleEvents=true');
      await eventually(() => seen.length === 1);
      expect(seen).to.deep.equal([7]);
    });

    it('MaxFrameSize and BufferMessage reach the open connections', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      config(server, 'MaxFrameSize=1234');
      config(server, 'BufferMessage=true');
      expect([connection.core!.maxFrameSize, connection.core!.bufferMessages]).to.deep.equal([1234, true]);
      config(server, 'BufferMessage=false');
      expect(connection.core!.bufferMessages).to.equal(false);
    });
  });

  describe('per-connection settings', () => {
    it('"Name[cid]" reads the connection\'s own value', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      expect(config(server, `MaxLineLength[${id}]`)).to.equal('2048');
      expect(config(server, `MessageLength[${id}]`)).to.equal('0');
      const uid = config(server, `ConnectionUID[${id}]`);
      expect(uid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect([config(server, `ConnectionUID[${id}]`), connection.uid]).to.deep.equal([uid, uid]);
    });

    it('SSLNegotiated* read as empty (or 0 for strengths) on a plain connection', async () => {
      const { server, port } = await startServer();
      const { id } = await rawConnection(server, port);
      expect([config(server, `SSLNegotiatedCipher[${id}]`), config(server, `SSLNegotiatedVersion[${id}]`), config(server, `SSLNegotiatedCipherStrength[${id}]`)]).to.deep.equal(['', '', '0']);
    });

    it('"Name[cid]=Value" sets MaxLineLength and MessageLength on the connection', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      expect(config(server, `MaxLineLength[${id}]=4096`)).to.equal('');
      expect(config(server, `MessageLength[${id}]=100`)).to.equal('');
      expect([connection.maxLineLength, connection.messageRemaining]).to.deep.equal([4096, 100]);
    });

    it('MessageLength is ignored on a synchronous connection', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      connection.timeout = 5;
      config(server, `MessageLength[${id}]=100`);
      expect(connection.messageRemaining).to.equal(0);
    });

    it('MaxLineLength[cid] while a line is being gathered fails with 112', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      client.sendText('no line end');
      await eventually(() => connection.extra!.lineSplitter!.pending > 0);
      expect(failure(server, `MaxLineLength[${id}]=4096`)[0]).to.equal(112);
      expect(connection.maxLineLength).to.equal(2048);
    });

    it('errors: 616 for a server-wide name with an index, 126 for an unknown connection, 607 and 608 as for the others', async () => {
      const { server, port } = await startServer();
      const { id } = await rawConnection(server, port);
      expect(failure(server, `MaxConnections[${id}]`)).to.deep.equal([616, 'Invalid argument. MaxConnections is not a per-connection setting.']);
      expect(failure(server, 'MaxLineLength[999]')).to.deep.equal([126, 'Invalid ConnectionId.']);
      expect(failure(server, `ConnectionUID[${id}]=mine`)[0]).to.equal(607);
      expect(failure(server, `MaxLineLength[${id}]=12`)[0]).to.equal(608);
    });
  });
});
