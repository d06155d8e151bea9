import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendFile } from '../../lib/server/send-file';
import { startServer } from '../helpers/server';
import { cleanup, rawConnection, rejection } from '../helpers/engine';

// sendFile() called directly on a server's connection; the WSServer.SendFile behaviour (bounded memory,
// Interrupt, Timeout, other sends meanwhile) is in ws-server.send-file.spec.ts.
describe('sendFile (send-file.ts)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wsserver-send-file-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(cleanup);

  it('sends the file as one binary message, parts of MaxFrameSize, and releases the connection', async () => {
    const { server, port } = await startServer();
    server.config('MaxFrameSize=16384');
    const content = Buffer.alloc(40 * 1024);
    for (let i = 0; i < content.length; i++) content[i] = (i * 13) & 0xff;
    const path = join(dir, 'parts.bin');
    writeFileSync(path, content);
    const { client, connection } = await rawConnection(server, port);
    await sendFile(connection, path);
    expect(connection.fileState()).to.include({ sendingFile: false, fileInterrupted: false });
    const frames = [await client.readFrame(), await client.readFrame(), await client.readFrame()];
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.length])).to.deep.equal([
      [2, false, 16384],
      [0, false, 16384],
      [0, true, 8192],
    ]);
    expect(Buffer.concat(frames.map((f) => f.payload)).equals(content)).to.equal(true);
  });

  it('fails with 10035 while another SendFile holds the connection', async () => {
    const { server, port } = await startServer();
    const path = join(dir, 'one.bin');
    writeFileSync(path, 'abc');
    const { client, connection } = await rawConnection(server, port);
    const first = sendFile(connection, path);
    const error = await rejection(sendFile(connection, path));
    expect(error.code).to.equal(10035);
    await first;
    expect((await client.readFrame()).payload.toString()).to.equal('abc');
  });

  it('a file that cannot be opened fails with 613 and leaves the connection free', async () => {
    const { server, port } = await startServer();
    const { client, id, connection } = await rawConnection(server, port);
    const error = await rejection(sendFile(connection, join(dir, 'missing.bin')));
    expect(error.code).to.equal(613);
    expect(connection.fileState().sendingFile).to.equal(false);
    await server.sendText(id, 'next');
    expect((await client.readFrame()).payload.toString()).to.equal('next');
  });

  it('fails with 614 when the connection is not open', async () => {
    const { server, port } = await startServer();
    const { connection } = await rawConnection(server, port);
    connection.destroy();
    const error = await rejection(sendFile(connection, join(dir, 'missing.bin')));
    expect(error.code).to.equal(614);
  });
});
