import { expect } from 'chai';
import { WSServerError } from '../../lib/server/errors';
import type { DataInEvent } from '../../lib/server/events';
import { changeLineMode, inLineMode, receiveLines, setMaxLineLength } from '../../lib/server/line-mode';
import type { WSServer } from '../../lib/server/ws-server';
import { cleanup, rawConnection, thrown } from '../helpers/engine';
import { eventually, startServer } from '../helpers/server';

/** What DataIn reported, as [text, dataFormat, eol, eom]. */
function lines(server: WSServer): Array<[string, number, boolean, boolean]> {
  const seen: Array<[string, number, boolean, boolean]> = [];
  server.on('DataIn', (e: DataInEvent) => seen.push([e.text, e.dataFormat, e.eol, e.eom]));
  return seen;
}

// Line mode over a real connection: the client's messages reach it through the protocol core, and
// DataIn fires at once (ProcessIdleEvents=true). The splitting rules themselves are in line-splitter.spec.ts.
describe('line-mode', () => {
  afterEach(cleanup);

  describe('inLineMode', () => {
    it('is false on a new connection, true once switched on and false again once off', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      const states = [inLineMode(connection)];
      changeLineMode(connection, true);
      states.push(inLineMode(connection), connection.lineMode);
      changeLineMode(connection, false);
      states.push(inLineMode(connection));
      expect(states).to.deep.equal([false, true, true, false]);
    });
  });

  describe('changeLineMode', () => {
    it('on: DataIn per line with dataFormat 0; the last line of a message carries eom', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { client, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      client.sendText('one\ntwo\r\nthree\n');
      await eventually(() => seen.length === 3);
      expect(seen).to.deep.equal([
        ['one', 0, true, false],
        ['two', 0, true, false],
        ['three', 0, true, true],
      ]);
    });

    it('on: a line without its end waits for the next message, which completes it', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { client, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      client.sendText('a\nhal');
      await eventually(() => seen.length === 1);
      client.sendText('f\n');
      await eventually(() => seen.length === 2);
      expect(seen).to.deep.equal([
        ['a', 0, true, false],
        ['half', 0, true, true],
      ]);
    });

    it('on twice keeps what was gathered', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { client, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      client.sendText('abc');
      await eventually(() => connection.extra!.lineSplitter!.pending === 3);
      changeLineMode(connection, true);
      client.sendText('def\n');
      await eventually(() => seen.length === 1);
      expect(seen).to.deep.equal([['abcdef', 0, true, true]]);
    });

    it('off: hands out what was gathered with eol false, then DataIn per message piece again', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { client, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      client.sendText('partial');
      await eventually(() => connection.extra!.lineSplitter!.pending === 7);
      expect(seen).to.deep.equal([]);
      changeLineMode(connection, false);
      expect(seen).to.deep.equal([['partial', 0, false, false]]);
      client.sendText('x\ny');
      await eventually(() => seen.length === 2);
      expect(seen[1]).to.deep.equal(['x\ny', 1, false, true]);
    });

    it('off without line mode fires nothing and creates no extra state', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { connection } = await rawConnection(server, port);
      changeLineMode(connection, false);
      expect([seen, connection.extra]).to.deep.equal([[], null]);
    });
  });

  describe('setMaxLineLength', () => {
    it('outside line mode sets the value the splitter starts with', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { client, connection } = await rawConnection(server, port);
      setMaxLineLength(connection, 4);
      expect(connection.maxLineLength).to.equal(4);
      changeLineMode(connection, true);
      client.sendText('abcdefg\n');
      await eventually(() => seen.length === 2);
      expect(seen).to.deep.equal([
        ['abcd', 0, false, false],
        ['efg', 0, true, true],
      ]);
    });

    it('in line mode with nothing gathered changes the splitter too', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      setMaxLineLength(connection, 300);
      expect([connection.maxLineLength, connection.extra!.lineSplitter!.maxLineLength]).to.deep.equal([300, 300]);
    });

    it('fails with 112 while a line is being gathered, and changes nothing', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      const before = connection.maxLineLength;
      client.sendText('no end yet');
      await eventually(() => connection.extra!.lineSplitter!.pending > 0);
      const error = thrown(() => setMaxLineLength(connection, 512));
      expect(error).to.be.instanceOf(WSServerError);
      expect([error.code, error.message]).to.deep.equal([112, 'You cannot change MaxLineLength at this time. A connection is in progress.']);
      expect([connection.maxLineLength, connection.extra!.lineSplitter!.maxLineLength]).to.deep.equal([before, before]);
    });
  });

  describe('receiveLines', () => {
    it('splits a piece into DataIn lines; only the last line of the last piece carries eom', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      const splitter = connection.extra!.lineSplitter!;
      receiveLines(connection, splitter, Buffer.from('p\nq\n'), false);
      // 'q' ends the piece: held until the next piece tells whether it ends the message.
      expect(seen).to.deep.equal([['p', 0, true, false]]);
      receiveLines(connection, splitter, Buffer.from('r\ns\n'), true);
      expect(seen.slice(1, 2)).to.deep.equal([['q', 0, true, false]]);
      expect(seen.slice(2)).to.deep.equal([
        ['r', 0, true, false],
        ['s', 0, true, true],
      ]);
    });

    it('a line that ends a piece, then an empty last frame: the line carries eom', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      const splitter = connection.extra!.lineSplitter!;
      receiveLines(connection, splitter, Buffer.from('one\ntwo\n'), false);
      receiveLines(connection, splitter, Buffer.alloc(0), true);
      expect(seen).to.deep.equal([
        ['one', 0, true, false],
        ['two', 0, true, true],
      ]);
    });

    it('a piece that ends inside a line hands out the line held before it', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      const splitter = connection.extra!.lineSplitter!;
      receiveLines(connection, splitter, Buffer.from('a\nb'), false);
      expect(seen).to.deep.equal([['a', 0, true, false]]);
    });

    it('over the wire: "x\\n" in a first frame and an empty final frame give one line with eom; a held line is handed out when the client goes', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { client, connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      client.sendFrame(1, 'x\n', { fin: false });
      client.sendFrame(0, Buffer.alloc(0));
      await eventually(() => seen.length > 0);
      expect(seen).to.deep.equal([['x', 0, true, true]]);
      client.sendFrame(1, 'y\n', { fin: false });
      await eventually(() => connection.extra!.heldLine !== null);
      client.destroy();
      await eventually(() => seen.length > 1);
      expect(seen.slice(1)).to.deep.equal([['y', 0, true, false]]);
    });

    it('a last piece that ends inside a line keeps it for the next message (no eom yet)', async () => {
      const { server, port } = await startServer();
      const seen = lines(server);
      const { connection } = await rawConnection(server, port);
      changeLineMode(connection, true);
      const splitter = connection.extra!.lineSplitter!;
      receiveLines(connection, splitter, Buffer.from('done\nrest'), true);
      expect([seen, splitter.pending]).to.deep.equal([[['done', 0, true, false]], 4]);
      receiveLines(connection, splitter, Buffer.from('\n'), true);
      expect(seen[1]).to.deep.equal(['rest', 0, true, true]);
    });
  });
});
