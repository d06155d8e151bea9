import { expect } from 'chai';
import net from 'node:net';
import sinon from 'sinon';
import { WSServer } from '../../lib/server/ws-server';
import { WSServerError } from '../../lib/server/errors';
import { RawClient } from '../helpers/raw-client';
import { clientFrame } from '../helpers/frames';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import {
  cleanup,
  doEventsLoop,
  nextMessage,
  openWs,
  rawConnection,
  record,
  rejection,
  socketOutcome,
  tcpConnect,
  thrown,
  track,
  wsConnection,
} from '../helpers/engine';

describe('WSServer config settings', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanup();
  });

  describe('Config()', () => {
    it('reads the documented defaults', () => {
      const server = new WSServer();
      const defaults: Record<string, string> = {
        BufferMessage: 'False',
        DisconnectStatusCode: '1000',
        DisconnectStatusDescription: '',
        EnablePermessageDeflate: 'True',
        MaxFrameSize: '262144',
        MaxLineLength: '2048',
        MessageLength: '0',
        WaitForCloseResponse: 'True',
        AllowedClients: '',
        BindExclusively: 'True',
        BlockedClients: '',
        DefaultConnectionTimeout: '0',
        KeepAliveTime: '0',
        KeepAliveInterval: '0',
        KeepAliveRetryCount: '0',
        MaxConnections: '1000',
        MaxReadTime: '50',
        TcpNoDelay: 'False',
        UseIPv6: '0',
        CodePage: '65001',
        MaskSensitive: 'False',
        ProcessIdleEvents: 'True',
        SelectWaitMillis: '20',
        LogLevel: '1',
        MaxMessageSize: '104857600',
        MaxHeaderSize: '16384',
        HandshakeTimeout: '30',
        UseIOCP: 'False',
        UseWindowsMessages: 'False',
      };
      const actual: Record<string, string> = {};
      for (const name of Object.keys(defaults)) actual[name] = server.config(name);
      expect(actual).to.deep.equal(defaults);
    });

    it('sets with "Name=Value" (names in any case, booleans as True/False/1/0/Yes/No) and returns ""', () => {
      const server = new WSServer();
      expect(server.config('buffermessage=yes')).to.equal('');
      expect(server.config('BufferMessage')).to.equal('True');
      server.config('BUFFERMESSAGE=0');
      expect(server.config('BufferMessage')).to.equal('False');
      server.config('DisconnectStatusDescription=a=b c');
      expect(server.config('DisconnectStatusDescription')).to.equal('a=b c');
    });

    it('unknown names fail with 606 and name the setting', () => {
      const server = new WSServer();
      for (const text of ['NoSuchSetting=1', 'NoSuchSetting', '=5', 'Max[x]=1']) {
        const error = thrown(() => server.config(text));
        expect(error).to.be.instanceOf(WSServerError);
        expect(error.code).to.equal(606);
      }
      expect(thrown(() => server.config('NoSuchSetting=1')).message).to.equal('Unknown configuration setting: NoSuchSetting.');
    });

    it('bad values fail with 608; read-only settings with 607', () => {
      const server = new WSServer();
      for (const text of ['BufferMessage=maybe', 'MaxLineLength=255', 'MaxLineLength=65537', 'MaxConnections=100001', 'MaxConnections=0', 'LogLevel=4', 'UseIPv6=3', 'DisconnectStatusCode=1005', 'AllowedClients=not an address!']) {
        const error = thrown(() => server.config(text));
        expect(error.code, text).to.equal(608);
      }
      server.config('MaxConnections=100000');
      for (const text of ['BuildInfo=x', 'LicenseInfo=x']) {
        const error = thrown(() => server.config(text));
        expect([error.code, error.message]).to.deep.equal([607, 'Configuration setting is read-only.']);
      }
    });

    it('a per-connection setting takes "Name[ConnectionId]"; a server-wide one refuses an index (616)', async () => {
      const { server, port } = await startServer();
      const { id } = await rawConnection(server, port);
      expect(server.config(`MaxLineLength[${id}]`)).to.equal('2048');
      server.config(`MaxLineLength[${id}]=300`);
      expect(server.config(`MaxLineLength[${id}]`)).to.equal('300');
      expect(server.config('MaxLineLength')).to.equal('2048');
      const error = thrown(() => server.config(`LogLevel[${id}]=2`));
      expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. LogLevel is not a per-connection setting.']);
    });

    it('BuildInfo and LicenseInfo describe this project', () => {
      const server = new WSServer();
      expect(server.config('BuildInfo')).to.match(/^wsserver-compat \d+\.\d+\.\d+ \(Node\.js v\d+/);
      expect(server.config('LicenseInfo')).to.equal('wsserver-compat is open source (MIT): no license key is needed or checked.');
    });

    it('accepts the Windows-only settings (UseIOCP, UseWindowsMessages, UseFIPSCompliantAPI), which change nothing here', async () => {
      const { server, port } = await startServer();
      server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text));
      for (const name of ['UseIOCP', 'UseWindowsMessages', 'UseFIPSCompliantAPI']) {
        server.config(`${name}=true`);
        expect(server.config(name)).to.equal('True');
      }
      const { client } = await rawConnection(server, port);
      client.sendText('same as ever');
      expect((await client.readMessage()).data.toString()).to.equal('same as ever');
    });
  });

  describe('WebSocket settings', () => {
    it('BufferMessage false: one DataIn per piece, even pieces of one large frame; eom on the last', async () => {
      const { server, port } = await startServer();
      const { client } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      const frame = clientFrame(2, Buffer.alloc(1000, 1));
      client.write(frame.subarray(0, 500));
      await eventually(() => data.length === 1, 2000, 'the first piece');
      client.write(frame.subarray(500));
      await eventually(() => data.length === 2, 2000, 'the second piece');
      expect(data.map(([, e]) => [e.dataFormat, e.textB.length, e.eom])).to.deep.equal([
        [2, 500 - 8, false],
        [0, 508, true],
      ]);
    });

    it('BufferMessage true: one DataIn per whole message', async () => {
      const { server, port } = await startServer();
      server.config('BufferMessage=true');
      const { client } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      client.sendFrame(1, 'one ', { fin: false });
      client.sendFrame(0, 'two ', { fin: false });
      await delay(30);
      expect(data).to.deep.equal([]);
      client.sendFrame(0, 'three', { fin: true });
      await eventually(() => data.length === 1, 2000, 'the message');
      expect(data.map(([, e]) => [e.dataFormat, e.text, e.eom])).to.deep.equal([[1, 'one two three', true]]);
    });

    it('EnablePermessageDeflate true negotiates compression with a ws client; false does not', async () => {
      const { server, port } = await startServer();
      const on = track(await openWs(port, { perMessageDeflate: true }));
      expect(on.extensions).to.contain('permessage-deflate');
      server.config('EnablePermessageDeflate=false');
      const off = track(await openWs(port, { perMessageDeflate: true }));
      expect(off.extensions).to.equal('');
    });

    it('MaxFrameSize splits an outgoing message into frames of at most that size, FIN on the last only', async () => {
      const { server, port } = await startServer();
      server.config('MaxFrameSize=1000');
      const { client, id } = await rawConnection(server, port);
      const payload = Buffer.alloc(2500, 0x5a);
      await server.sendBytes(id, payload);
      const frames = [await client.readFrame(), await client.readFrame(), await client.readFrame()];
      expect(frames.map((f) => [f.opcode, f.fin, f.payload.length])).to.deep.equal([
        [2, false, 1000],
        [0, false, 1000],
        [0, true, 500],
      ]);
      expect(Buffer.concat(frames.map((f) => f.payload)).equals(payload)).to.equal(true);
    });

    it('MaxFrameSize: a ws client still gets ONE message', async () => {
      const { server, port } = await startServer();
      server.config('MaxFrameSize=100');
      const { ws, id } = await wsConnection(server, port, { perMessageDeflate: false });
      const message = nextMessage(ws);
      await server.sendText(id, 'x'.repeat(1234));
      expect(await message).to.deep.equal([Buffer.from('x'.repeat(1234)), false]);
    });

    it('MessageLength[cid]: the next N bytes, over several sends, form one message (FIN on the last frame only)', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      server.config(`MessageLength[${id}]=10`);
      await server.sendBytes(id, Buffer.from('abcd'));
      expect(server.config(`MessageLength[${id}]`)).to.equal('6');
      await server.sendBytes(id, Buffer.from('efghij'));
      expect(server.config(`MessageLength[${id}]`)).to.equal('0');
      await server.sendBytes(id, Buffer.from('next'));
      const frames = [await client.readFrame(), await client.readFrame(), await client.readFrame()];
      expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).to.deep.equal([
        [2, false, 'abcd'],
        [0, true, 'efghij'],
        [2, true, 'next'],
      ]);
    });

    it('MessageLength[cid]: a send larger than what is left fails with 616', async () => {
      const { server, port } = await startServer();
      const { id } = await rawConnection(server, port);
      server.config(`MessageLength[${id}]=3`);
      const error = await rejection(server.sendBytes(id, Buffer.from('four')));
      expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. The data exceeds the 3 bytes left of MessageLength.']);
    });

    it('MessageLength[cid]: a message given up part way (set again) is ended, and later sends go out whole', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      server.config(`MessageLength[${id}]=10`);
      await server.sendBytes(id, Buffer.from('abcd'));
      server.config(`MessageLength[${id}]=0`);
      await server.sendText(id, 'whole');
      server.config(`MessageLength[${id}]=4`);
      await server.sendText(id, 'ab');
      server.config(`MessageLength[${id}]=3`);
      await server.sendText(id, 'xyz');
      const frames = [];
      for (let i = 0; i < 5; i++) frames.push(await client.readFrame());
      expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).to.deep.equal([
        [2, false, 'abcd'],
        [0, true, ''],
        [1, true, 'whole'],
        [1, false, 'ab'],
        [0, true, ''],
      ]);
      const last = await client.readFrame();
      expect([last.opcode, last.fin, last.payload.toString()]).to.deep.equal([1, true, 'xyz']);
    });

    it('MessageLength[cid]: a ws client gets the parts as one message', async () => {
      const { server, port } = await startServer();
      const { ws, id } = await wsConnection(server, port);
      server.config(`MessageLength[${id}]=11`);
      const message = nextMessage(ws);
      await server.sendText(id, 'hello ');
      await server.sendText(id, 'world');
      expect(await message).to.deep.equal([Buffer.from('hello world'), false]);
    });

    it('MaxLineLength[cid] must be 256–65536 and cannot change while a line is being gathered (112)', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      expect(thrown(() => server.config(`MaxLineLength[${id}]=100`)).code).to.equal(608);
      await server.changeLineMode(id, true);
      server.config(`MaxLineLength[${id}]=300`);
      client.sendText('no line end yet');
      await delay(50);
      const error = thrown(() => server.config(`MaxLineLength[${id}]=300`));
      expect([error.code, error.message]).to.deep.equal([112, 'You cannot change MaxLineLength at this time. A connection is in progress.']);
    });

    it('WaitForCloseResponse true: Disconnect keeps TCP open until the client answers the close', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      let done = false;
      const disconnecting = server.disconnect(id).then(() => (done = true));
      expect(await client.readClose()).to.deep.equal({ code: 1000, reason: '' });
      await delay(100);
      expect(client.ended).to.equal(false);
      expect(done).to.equal(false);
      client.sendClose(1000, 'ok');
      await disconnecting;
      await client.waitForEnd();
      expect(await disconnected).to.include({ statusCode: 1000, description: 'ok' });
    });

    it('WaitForCloseResponse true: without an answer the connection is dropped after Timeout seconds', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.timeout = 1;
      const started = Date.now();
      await server.disconnect(id);
      expect(Date.now() - started).to.be.within(900, 1900);
      await client.waitForEnd();
    });

    it('WaitForCloseResponse false: the TCP connection ends right after the close frame', async () => {
      const { server, port } = await startServer();
      server.config('WaitForCloseResponse=false');
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      await server.disconnect(id);
      expect(await client.readClose()).to.deep.equal({ code: 1000, reason: '' });
      await client.waitForEnd();
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 1000, description: '' });
    });
  });

  describe('TCP settings', () => {
    it('BlockedClients sets ConnectionRequest accept false for a match; the client is refused', async () => {
      const { server, port } = await startServer();
      server.config('BlockedClients=10.0.0.1, 127.0.0.1');
      const requests = record(server, 'ConnectionRequest');
      const socket = track(await tcpConnect(port));
      const { data } = await socketOutcome(socket);
      expect(data.length).to.equal(0);
      expect(requests.map(([, e]) => e.accept)).to.deep.equal([false]);
    });

    it('AllowedClients sets accept false for an address not on the list', async () => {
      const { server, port } = await startServer();
      server.config('AllowedClients=192.168.0.0/16');
      const requests = record(server, 'ConnectionRequest');
      const socket = track(await tcpConnect(port));
      await socketOutcome(socket);
      expect(requests.map(([, e]) => e.accept)).to.deep.equal([false]);
      server.config('AllowedClients=localhost');
      track(await RawClient.open(port));
      expect(requests.map(([, e]) => e.accept)).to.deep.equal([false, true]);
    });

    it('ConnectionRequest may overrule the lists', async () => {
      const { server, port } = await startServer();
      server.config('BlockedClients=*');
      server.on('ConnectionRequest', (e) => (e.accept = true));
      const client = track(await RawClient.open(port));
      expect(client.closed).to.equal(false);
    });

    it('BindExclusively: a port in use cannot be bound by a second server (10048), whatever the value', async () => {
      const { port } = await startServer();
      for (const value of ['true', 'false']) {
        const other = new WSServer({ localHost: '127.0.0.1', localPort: port, config: { BindExclusively: value } });
        const error = await rejection(other.startListening());
        expect([error.code, error.message]).to.deep.equal([10048, '[10048] Address already in use.']);
        expect(other.listening).to.equal(false);
      }
    });

    it('ConnectionUID[cid] is a read-only identifier unique to the connection', async () => {
      const { server, port } = await startServer();
      const a = await rawConnection(server, port);
      const b = await rawConnection(server, port);
      const uidA = server.config(`ConnectionUID[${a.id}]`);
      const uidB = server.config(`ConnectionUID[${b.id}]`);
      expect(uidA).to.match(/^[0-9a-f-]{36}$/);
      expect(uidA).to.not.equal(uidB);
      expect(thrown(() => server.config(`ConnectionUID[${a.id}]=x`)).code).to.equal(607);
    });

    it('DefaultConnectionTimeout drops a client that stays silent during the handshake', async () => {
      const { server, port } = await startServer();
      server.config('DefaultConnectionTimeout=1');
      const client = track(await RawClient.connect(port));
      const started = Date.now();
      const response = await client.readHttpResponse(3000);
      expect(response.status).to.equal(408);
      await client.waitForEnd();
      expect(Date.now() - started).to.be.within(900, 1900);
    });

    it('KeepAliveTime turns TCP keep-alive on with that initial delay', async () => {
      const spy = sinon.spy(net.Socket.prototype, 'setKeepAlive');
      const { server, port } = await startServer();
      track(await RawClient.open(port));
      expect(spy.callCount).to.equal(0);
      server.config('KeepAliveTime=1500');
      server.config('KeepAliveInterval=500');
      server.config('KeepAliveRetryCount=3');
      track(await RawClient.open(port));
      await eventually(() => spy.callCount === 1, 1000, 'setKeepAlive');
      expect(spy.firstCall.args).to.deep.equal([true, 1500]);
      expect(server.config('KeepAliveInterval')).to.equal('500');
      expect(server.config('KeepAliveRetryCount')).to.equal('3');
    });

    it('TcpNoDelay switches Nagle off on new connections', async () => {
      const spy = sinon.spy(net.Socket.prototype, 'setNoDelay');
      const { server, port } = await startServer();
      track(await RawClient.open(port));
      const before = spy.getCalls().filter((c) => c.args[0] === true).length;
      server.config('TcpNoDelay=true');
      track(await RawClient.open(port));
      await eventually(() => spy.getCalls().filter((c) => c.args[0] === true).length === before + 1, 1000, 'setNoDelay(true)');
    });

    it('MaxConnections: beyond it new connections are refused cleanly and logged', async () => {
      const server = new WSServer({ localHost: '127.0.0.1', config: { MaxConnections: 2 } });
      await server.startListening();
      const logs: string[] = [];
      server.on('Log', (e) => logs.push(e.message));
      const port = server.localPort;
      try {
        const a = await rawConnection(server, port);
        await rawConnection(server, port);
        const third = track(await tcpConnect(port));
        const { data } = await socketOutcome(third);
        expect(data.length).to.equal(0);
        expect(logs).to.include('Connection from 127.0.0.1 refused: MaxConnections (2) reached.');
        expect(server.wsConnectionCount).to.equal(2);
        const gone = nextEvent(server, 'Disconnected');
        a.client.destroy();
        await gone;
        const fourth = await rawConnection(server, port);
        expect(fourth.connection.connected).to.equal(true);
      } finally {
        await cleanup();
        await server.shutdown();
      }
    });

    it('InBufferSize: in DoEvents mode reading pauses once 16 × InBufferSize bytes of DataIn wait; nothing is lost', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, InBufferSize: 1024 } });
      const { client, id } = await connectWithDoEvents(server, port);
      const data = record(server, 'DataIn');
      for (let i = 0; i < 200; i++) client.sendBinary(Buffer.alloc(1000, 0x61));
      await delay(150);
      const connection = server.connection(id);
      expect(connection.queuedInput).to.be.at.least(16 * 1024);
      // One socket read may land after the mark was reached.
      expect(connection.queuedInput).to.be.at.most(16 * 1024 + 64 * 1024 + 1000);
      const stop = doEventsLoop(server);
      // BufferMessage is false: a message cut by a socket read comes in two pieces.
      await eventually(() => data.filter(([, e]) => e.eom).length === 200, 3000, '200 messages');
      await stop();
      const received = Buffer.concat(data.map(([, e]) => e.textB));
      expect(received.equals(Buffer.alloc(200 * 1000, 0x61))).to.equal(true);
    });

    it('MaxReadTime: a connection whose handlers are slow yields to the others', async () => {
      for (const [limit, expectEarly] of [
        [20, true],
        [0, false],
      ] as const) {
        const { server, port } = await startServer({ config: { MaxReadTime: limit } });
        const busy = await rawConnection(server, port);
        const other = await rawConnection(server, port);
        let busyCount = 0;
        let busyCountWhenOtherArrived = -1;
        server.on('DataIn', (e) => {
          if (e.connectionId === busy.id) {
            busyCount++;
            const until = performance.now() + 3;
            while (performance.now() < until);
          } else {
            busyCountWhenOtherArrived = busyCount;
          }
        });
        busy.client.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => clientFrame(1, `m${i}`))));
        await delay(30);
        other.client.sendText('me too');
        await eventually(() => busyCount === 100 && busyCountWhenOtherArrived >= 0, 3000, 'all messages');
        if (expectEarly) expect(busyCountWhenOtherArrived, `MaxReadTime=${limit}`).to.be.below(50);
        else expect(busyCountWhenOtherArrived, `MaxReadTime=${limit}`).to.equal(100);
        await cleanup();
      }
    });

    it('UseIPv6 0 listens on IPv4 only', async () => {
      const server = new WSServer({ localPort: 0, config: { UseIPv6: 0 } });
      await server.startListening();
      try {
        track(await RawClient.open(server.localPort));
        if (await hasIPv6Loopback()) {
          const error = await tcpConnect(server.localPort, '::1').then(
            (s) => (s.destroy(), null),
            (e: NodeJS.ErrnoException) => e.code,
          );
          expect(error).to.equal('ECONNREFUSED');
        }
      } finally {
        await cleanup();
        await server.shutdown();
      }
    });

    it('UseIPv6 1 listens on IPv6 only; 2 on both (IPv4 clients shown in dotted form)', async function () {
      if (!(await hasIPv6Loopback())) {
        // The only skip in these specs: without an IPv6 loopback there is nothing to connect to.
        console.log('      (skipped: this machine has no IPv6 loopback address ::1)');
        this.skip();
      }
      const only6 = new WSServer({ localPort: 0, config: { UseIPv6: 1 } });
      const both = new WSServer({ localPort: 0, config: { UseIPv6: 2 } });
      await only6.startListening();
      await both.startListening();
      try {
        const connected6 = nextEvent(only6, 'ConnectionRequest');
        const v6 = track(await tcpConnect(only6.localPort, '::1'));
        expect((await connected6).address).to.equal('::1');
        v6.destroy();
        const refused = await tcpConnect(only6.localPort, '127.0.0.1').then(
          (s) => (s.destroy(), null),
          (e: NodeJS.ErrnoException) => e.code,
        );
        expect(refused).to.equal('ECONNREFUSED');
        const requests = record(both, 'ConnectionRequest');
        track(await tcpConnect(both.localPort, '::1'));
        track(await tcpConnect(both.localPort, '127.0.0.1'));
        await eventually(() => requests.length === 2, 2000, 'two requests');
        expect(requests.map(([, e]) => e.address).sort()).to.deep.equal(['127.0.0.1', '::1']);
      } finally {
        await cleanup();
        await only6.shutdown();
        await both.shutdown();
      }
    });

    it('SelectWaitMillis: DoEvents waits that long when nothing is queued', async () => {
      const server = new WSServer({ config: { ProcessIdleEvents: false, SelectWaitMillis: 100 } });
      const clock = sinon.useFakeTimers();
      try {
        let done = false;
        const waiting = server.doEvents().then(() => (done = true));
        await clock.tickAsync(99);
        expect(done).to.equal(false);
        await clock.tickAsync(1);
        await waiting;
        expect(done).to.equal(true);
      } finally {
        clock.restore();
      }
    });

    it('CodePage converts strings given for binary data; other pages fail with 612', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const pages: Array<[number, number[]]> = [
        [65001, [0xc3, 0xa9, 0x41]],
        [28591, [0xe9, 0x41]],
        [1252, [0xe9, 0x41]],
        [1200, [0xe9, 0x00, 0x41, 0x00]],
        [1201, [0x00, 0xe9, 0x00, 0x41]],
      ];
      for (const [page, bytes] of pages) {
        server.config(`CodePage=${page}`);
        await server.sendBytes(id, 'éA');
        expect((await client.readFrame()).payload, `CodePage ${page}`).to.deep.equal(Buffer.from(bytes));
      }
      const error = thrown(() => server.config('CodePage=1251'));
      expect(error.code).to.equal(612);
      expect(error.message).to.match(/^Unsupported code page: 1251\./);
      expect(server.config('CodePage')).to.equal('1201');
    });
  });
});

/** A raw client connected to a server in DoEvents mode (runs doEvents until Connected fired). */
async function connectWithDoEvents(server: WSServer, port: number): Promise<{ client: RawClient; id: number }> {
  const stop = doEventsLoop(server);
  try {
    const connected = nextEvent<{ connectionId: number }>(server, 'Connected');
    const client = track(await RawClient.open(port));
    const { connectionId } = await connected;
    return { client, id: connectionId };
  } finally {
    await stop();
  }
}

let ipv6: boolean | undefined;

/** Whether ::1 can be bound on this machine. */
async function hasIPv6Loopback(): Promise<boolean> {
  if (ipv6 !== undefined) return ipv6;
  ipv6 = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
  return ipv6;
}
