import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay, eventually, startServer } from '../helpers/server';
import { StreamingFrameReader, cleanup, detach, nextMessage, rawConnection, readSlowly, rejection, wsConnection } from '../helpers/engine';

const KiB = 1024;
const MiB = 1024 * 1024;

describe('WSServer SendFile', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wsserver-sendfile-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(cleanup);

  /** A file of `size` bytes of a repeating, position-dependent pattern; returns its path. */
  function makeFile(name: string, size: number): string {
    const path = join(dir, name);
    const block = Buffer.alloc(MiB);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7 + (i >> 10)) & 0xff;
    const fd = openSync(path, 'w');
    for (let written = 0; written < size; written += MiB) writeSync(fd, block, 0, Math.min(MiB, size - written));
    closeSync(fd);
    return path;
  }

  it('streams the file as ONE binary message in frames of at most MaxFrameSize', async () => {
    const { server, port } = await startServer();
    server.config('MaxFrameSize=262144');
    const content = Buffer.alloc(600 * KiB);
    for (let i = 0; i < content.length; i++) content[i] = i % 251;
    const path = join(dir, 'small.bin');
    writeFileSync(path, content);
    const { client, id } = await rawConnection(server, port);
    await server.sendFile(id, path);
    const frames = [];
    for (;;) {
      const frame = await client.readFrame();
      frames.push(frame);
      if (frame.fin) break;
    }
    expect(frames.map((f) => [f.opcode, f.fin])).to.deep.equal([
      [2, false],
      [0, false],
      [0, true],
    ]);
    expect(frames.every((f) => f.payload.length <= 262144)).to.equal(true);
    expect(Buffer.concat(frames.map((f) => f.payload)).equals(content)).to.equal(true);
  });

  it('an empty file is one empty binary message', async () => {
    const { server, port } = await startServer();
    const path = join(dir, 'empty.bin');
    writeFileSync(path, '');
    const { client, id } = await rawConnection(server, port);
    await server.sendFile(id, path);
    expect(await client.readFrame()).to.deep.equal({ fin: true, rsv1: false, opcode: 2, payload: Buffer.alloc(0) });
  });

  it('a file that cannot be read fails with 613', async () => {
    const { server, port } = await startServer();
    const { id, connection } = await rawConnection(server, port);
    const error = await rejection(server.sendFile(id, join(dir, 'missing.bin')));
    expect(error.code).to.equal(613);
    expect(error.message).to.match(/^Cannot read file: ENOENT/);
    expect(connection.connected).to.equal(true);
    await server.sendText(id, 'still fine');
  });

  it('a ws client receives the file as one message', async () => {
    const { server, port } = await startServer();
    const path = makeFile('ws.bin', 3 * MiB + 5);
    const { ws, id } = await wsConnection(server, port);
    const message = nextMessage(ws);
    await server.sendFile(id, path);
    const [data, binary] = await message;
    expect(binary).to.equal(true);
    expect(data.length).to.equal(3 * MiB + 5);
    expect(createHash('sha256').update(data).digest('hex')).to.equal(createHash('sha256').update(makeBuffer(3 * MiB + 5)).digest('hex'));
  });

  it('streams 64 MiB to a slow client with the queue bounded near OutBufferSize, never the file size', async () => {
    const { server, port } = await startServer();
    const size = 64 * MiB;
    const path = makeFile('big.bin', size);
    const expected = createHash('sha256');
    for (let at = 0; at < size; at += MiB) expected.update(makeBuffer(MiB));
    const { client, id, connection } = await rawConnection(server, port);
    const socket = detach(client);
    const hash = createHash('sha256');
    const reader = new StreamingFrameReader((data) => hash.update(data));
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, connection.queuedBytes)), 2);
    const stop = readSlowly(socket, 2 * MiB, 15);
    try {
      await server.sendFile(id, path);
      await eventually(() => reader.payloadBytes === size, 10000, 'the whole file');
    } finally {
      clearInterval(sampler);
      stop();
    }
    // OutBufferSize (1 MiB by default) plus at most one part read ahead (MaxFrameSize, 256 KiB) and its header.
    expect(most).to.be.greaterThan(0);
    expect(most).to.be.at.most(MiB + 256 * KiB + 14);
    expect(reader.frames[0]!.opcode).to.equal(2);
    expect(reader.frames.slice(1).every((f) => f.opcode === 0)).to.equal(true);
    expect(reader.frames.filter((f) => f.fin)).to.have.length(1);
    expect(reader.frames[reader.frames.length - 1]!.fin).to.equal(true);
    expect(reader.frames.every((f) => f.length <= 262144)).to.equal(true);
    expect(hash.digest('hex')).to.equal(expected.digest('hex'));
  });

  it('holds the connection: asynchronous sends fail with 10035, synchronous ones go after the file', async () => {
    const { server, port } = await startServer();
    const path = makeFile('hold.bin', 8 * MiB);
    const { client, id, connection } = await rawConnection(server, port);
    const socket = detach(client);
    const texts: string[] = [];
    const reader = new StreamingFrameReader((data, frame) => {
      if (frame.opcode === 1) texts.push(data.toString());
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    const sending = server.sendFile(id, path);
    const blocked = await rejection(server.sendText(id, 'async'));
    expect([blocked.code, blocked.message]).to.deep.equal([10035, '[10035] Operation would block.']);
    connection.timeout = 10;
    const after = server.sendText(id, 'sync');
    socket.resume();
    await Promise.all([sending, after]);
    await eventually(() => texts.length === 1, 3000, 'the text');
    expect(texts).to.deep.equal(['sync']);
    // The text frame comes after the file's final frame, never inside the file message.
    const frames = reader.frames;
    expect(frames[frames.length - 1]).to.deep.equal({ fin: true, rsv1: false, opcode: 1, length: 4 });
    expect(frames[frames.length - 2]!.fin).to.equal(true);
    expect(frames.slice(0, -1).reduce((n, f) => n + f.length, 0)).to.equal(8 * MiB);
  });

  it('Interrupt ends the file message early (final frame sent) and leaves the connection open', async () => {
    const { server, port } = await startServer();
    const path = makeFile('interrupt.bin', 32 * MiB);
    const { client, id, connection } = await rawConnection(server, port);
    const socket = detach(client);
    const reader = new StreamingFrameReader();
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    const sending = server.sendFile(id, path);
    await delay(50);
    await server.interrupt(id);
    const error = await rejection(sending);
    expect([error.code, error.message]).to.deep.equal([610, 'Operation interrupted.']);
    expect(connection.connected).to.equal(true);
    socket.resume();
    connection.timeout = 5;
    await server.sendText(id, 'next');
    await eventually(() => reader.frames.some((f) => f.opcode === 1), 5000, 'the next message');
    const fins = reader.frames.filter((f) => f.fin);
    expect(fins).to.have.length(2);
    const fileBytes = reader.frames.filter((f) => f.opcode !== 1).reduce((n, f) => n + f.length, 0);
    expect(fileBytes).to.be.greaterThan(0);
    expect(fileBytes).to.be.below(32 * MiB);
    expect(reader.frames[reader.frames.length - 1]).to.deep.equal({ fin: true, rsv1: false, opcode: 1, length: 4 });
  });

  it('with Timeout > 0 fails with 609 when the client takes nothing for Timeout seconds', async () => {
    const { server, port } = await startServer();
    const path = makeFile('stall.bin', 16 * MiB);
    const { client, id, connection } = await rawConnection(server, port);
    detach(client);
    connection.timeout = 1;
    const started = Date.now();
    const error = await rejection(server.sendFile(id, path));
    expect([error.code, error.message]).to.deep.equal([609, 'Timeout.']);
    expect(Date.now() - started).to.be.within(900, 2500);
  });
});

/** The first `size` bytes of makeFile's pattern (each MiB block is the same). */
function makeBuffer(size: number): Buffer {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7 + (i >> 10)) & 0xff;
  if (size <= MiB) return block.subarray(0, size);
  const parts: Buffer[] = [];
  for (let at = 0; at < size; at += MiB) parts.push(block.subarray(0, Math.min(MiB, size - at)));
  return Buffer.concat(parts);
}
