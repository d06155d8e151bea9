/**
 * Every resource a peer can make a connection hold has a budget (docs/LIMITS.md). Each spec here is a
 * raw client that misbehaves on a real loopback socket — it floods pings while not reading, sends tiny
 * compressed fragments, declares huge lengths, sends empty frames in DoEvents mode — and asserts that
 * the engine's own queue figures stay within the budget, that the process's live external memory (taken
 * after a full collection, spec/helpers/memory.ts) grows by no more than a wide margin of it, and that a
 * fresh client is still served. No timings are asserted.
 */
import { expect } from 'chai';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import type { WSServer } from '../../lib/server/ws-server';
import { clientFrame } from '../helpers/frames';
import { RawClient } from '../helpers/raw-client';
import { cleanup, detach, doEventsLoop, rawConnection, rejection, StreamingFrameReader, track } from '../helpers/engine';
import { eventually, nextEvent, startServer } from '../helpers/server';
import { liveExternal as external } from '../helpers/memory';

const KiB = 1024;
const MiB = 1024 * KiB;


/**
 * Writes what `next()` makes until the peer stops taking it (a write that is not drained within
 * `stallMs`) or `maxBytes` went out. Returns the bytes written. The client never buffers more than one
 * chunk itself, so its own memory does not hide the server's.
 */
async function floodUntilStalled(socket: Socket, next: () => Buffer | null, maxBytes: number, stallMs = 300): Promise<number> {
  let sent = 0;
  while (sent < maxBytes) {
    const chunk = next();
    if (chunk === null) break;
    sent += chunk.length;
    if (socket.write(chunk)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('drain', onDrain);
        resolve(false);
      }, stallMs);
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      socket.once('drain', onDrain);
    });
    if (!drained) break;
  }
  return sent;
}

/** A fresh client gets its echo: the server still serves while the hostile one is held. */
async function stillServes(server: WSServer, port: number): Promise<void> {
  const client = track(await RawClient.open(port));
  client.sendText('are you there?');
  const reply = await client.readMessage(5000);
  expect(reply.data.toString()).to.equal('echo:are you there?');
  client.destroy();
}

function echo(server: WSServer): void {
  server.on('DataIn', (e) => {
    if (!e.eom) return;
    server.sendText(e.connectionId, `echo:${e.text.slice(0, 64)}`).catch(() => undefined);
  });
}

/** A compressed message payload as a client sends it (§7.2.1: without the trailing 00 00 ff ff). */
function compressed(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

describe('budgets: a hostile client hits each one', function () {
  this.timeout(40000);
  afterEach(cleanup);

  describe('output (OutBufferSize, MaxQueuedOutput)', () => {
    it('a client that pings and never reads: one pong per read, output stays tiny', async () => {
      const { server, port } = await startServer();
      echo(server);
      const { client, id } = await rawConnection(server, port);
      const socket = detach(client);
      const before = external();
      const ping = clientFrame(9, Buffer.alloc(125, 0x61));
      const batch = Buffer.concat(Array.from({ length: 500 }, () => ping));
      const sent = await floodUntilStalled(socket, () => batch, 64 * MiB);
      const figures = server.queueFigures(id);
      expect(sent).to.be.greaterThan(4 * MiB);
      // A million pings queued ~117 MiB of pongs before; now each read answers only its latest ping.
      expect(figures.outputBytes).to.be.at.most(server.connection(id).outBufferSize + 64 * KiB);
      expect(external() - before).to.be.below(48 * MiB);
      await stillServes(server, port);
    });

    it('a client that sends and never reads stops being read above OutBufferSize (ReadHold.Output)', async () => {
      const { server, port } = await startServer({ config: { OutBufferSize: 256 * KiB } });
      echo(server);
      const { client, id } = await rawConnection(server, port);
      const socket = detach(client);
      const message = clientFrame(1, 'x'.repeat(1000));
      const batch = Buffer.concat(Array.from({ length: 64 }, () => message));
      const before = external();
      // A stall can also be a busy machine: keep flooding until the server says why it stopped reading.
      let sent = 0;
      while (!server.queueFigures(id).readHolds.includes('Output') && sent < 256 * MiB) {
        sent += await floodUntilStalled(socket, () => batch, 256 * MiB - sent);
      }
      const figures = server.queueFigures(id);
      expect(figures.readHolds).to.include('Output');
      expect(figures.outputBytes).to.be.at.most(256 * KiB + 64 * KiB);
      expect(external() - before).to.be.below(48 * MiB);
      await stillServes(server, port);
      // Reading again lets everything through: the hold goes when the socket drains.
      socket.resume();
      await eventually(() => !server.queueFigures(id).readHolds.includes('Output'), 10000, 'the output hold to end');
    });

    it('an application that keeps sending to a client that reads nothing: dropped with 1008 past MaxQueuedOutput', async () => {
      const { server, port } = await startServer({ config: { OutBufferSize: 64 * MiB, MaxQueuedOutput: 4 * MiB } });
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      const disconnected = nextEvent<{ statusCode: number }>(server, 'Disconnected', 20000);
      let largest = 0;
      for (let i = 0; i < 64 && connection.connected; i++) {
        largest = Math.max(largest, connection.queuedBytes);
        await server.sendBytes(id, Buffer.alloc(MiB, i)).catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await disconnected).statusCode).to.equal(1008);
      expect(largest).to.be.at.most(4 * MiB + MiB);
    });
  });

  describe('input held while the core is paused', () => {
    it('behind a large compressed message being inflated, what follows stays in the kernel', async () => {
      const { server, port } = await startServer({ config: { MaxMessageSize: 256 * MiB } });
      let messages = 0;
      server.on('DataIn', (e) => {
        if (e.eom) messages++;
      });
      const { client, id } = await rawConnection(server, port, { extensions: 'permessage-deflate' });
      const socket = detach(client);
      const large = compressed(Buffer.alloc(64 * MiB, 'abcdefgh'));
      let largestHeld = 0;
      let sampling = true;
      const sample = (): void => {
        if (!sampling) return;
        const connection = server.connections.get(id);
        if (connection && connection.core) largestHeld = Math.max(largestHeld, connection.queueFigures().heldInputBytes);
        setImmediate(sample);
      };
      sample();
      socket.write(clientFrame(2, large, { rsv1: true }));
      const behind = clientFrame(2, Buffer.alloc(MiB, 0x42));
      let frames = 0;
      await floodUntilStalled(socket, () => (frames++ < 20 ? behind : null), 21 * MiB, 2000);
      await eventually(() => messages === 21, 30000, 'all 21 messages');
      sampling = false;
      // At most about one read (64 KiB) beyond the frame being parsed is kept; 20 MiB were behind it.
      expect(largestHeld).to.be.at.most(2 * MiB);
    });
  });

  describe('messages being assembled (BufferMessage)', () => {
    it('tiny compressed fragments make one growing buffer, not one Buffer each', async () => {
      const { server, port } = await startServer({ config: { BufferMessage: true } });
      const received: Buffer[] = [];
      server.on('DataIn', (e) => received.push(e.textB));
      const { client, id } = await rawConnection(server, port, { extensions: 'permessage-deflate' });
      const socket = detach(client);
      // One compressed message cut into 7-byte fragments (random bytes, so it hardly compresses).
      const plain = randomBytes(350 * KiB);
      const stream = compressed(plain);
      const pieces: Buffer[] = [];
      for (let at = 0; at < stream.length; at += 7) {
        pieces.push(clientFrame(at === 0 ? 2 : 0, stream.subarray(at, at + 7), { fin: at + 7 >= stream.length, rsv1: at === 0 }));
      }
      const count = pieces.length;
      expect(count).to.be.greaterThan(50000);
      const before = external();
      // Everything but the last fragment: the message is held half built, which is where one Buffer per
      // fragment (~107 B each, ~5.5 MiB here) would show.
      let at = 0;
      const last = count - 1;
      // Nothing holds this client, so a stall is only a busy machine: write on until all is out.
      while (at < last) await floodUntilStalled(socket, () => (at < last ? Buffer.concat(pieces.slice(at, (at = Math.min(at + 1000, last)))) : null), 64 * MiB, 2000);
      await eventually(() => server.queueFigures(id).assemblyBytes >= plain.length - 64 * KiB, 20000, 'the message to be nearly assembled');
      const assembling = server.queueFigures(id).assemblyBytes;
      expect(assembling).to.be.at.most(2 * plain.length);
      expect(external() - before).to.be.below(assembling + 2 * MiB);
      socket.write(pieces[last]!);
      await eventually(() => received.length === 1, 20000, 'the message');
      expect(received[0]!.equals(plain)).to.equal(true);
      expect(server.queueFigures(id).assemblyBytes).to.equal(0);
    });

    it('headers that announce 100 MiB reserve nothing: 40 connections hold what arrived', async () => {
      const { server, port } = await startServer({ config: { BufferMessage: true } });
      echo(server);
      const before = external();
      const ids: number[] = [];
      for (let i = 0; i < 40; i++) {
        const { client, id } = await rawConnection(server, port);
        const header = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x06, 0x40, 0, 0, 1, 2, 3, 4]); // 100 MiB, masked
        client.write(Buffer.concat([header, Buffer.alloc(1000)]));
        ids.push(id);
      }
      await eventually(() => ids.every((id) => server.queueFigures(id).assemblyBytes > 0), 5000, 'every assembly to start');
      for (const id of ids) expect(server.queueFigures(id).assemblyBytes).to.be.at.most(4 * KiB);
      // Before, 40 × 100 MiB were reserved from the headers alone.
      expect(external() - before).to.be.below(32 * MiB);
      await stillServes(server, port);
    });

    it('a message with more frames than MaxMessageFragments is closed with 1009', async () => {
      const { server, port } = await startServer({ config: { MaxMessageFragments: 10 } });
      const { client } = await rawConnection(server, port);
      const frames: Buffer[] = [];
      for (let i = 0; i < 11; i++) frames.push(clientFrame(i === 0 ? 1 : 0, 'a', { fin: false }));
      client.write(Buffer.concat(frames));
      expect((await client.readClose()).code).to.equal(1009);
    });
  });

  describe('the DoEvents backlog (bytes and events)', () => {
    it('empty frames in DoEvents mode: at most MaxQueuedEvents wait, then the client is not read', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, MaxQueuedEvents: 1000 } });
      let seen = 0;
      server.on('DataIn', () => seen++);
      server.on('Ping', () => seen++);
      const connecting = doEventsLoop(server);
      const { client, id } = await rawConnection(server, port);
      await connecting();
      const socket = detach(client);
      // Empty text frames and empty pings: every event is charged, not only payload bytes.
      const frames = Buffer.concat(Array.from({ length: 2000 }, (_, i) => clientFrame(i % 2 === 0 ? 1 : 9, '')));
      const total = 50;
      let written = 0;
      const sent = await floodUntilStalled(socket, () => (written++ < total ? frames : null), frames.length * total, 500);
      expect(sent).to.be.at.least(frames.length);
      await eventually(() => server.queueFigures(id).readHolds.includes('Backlog'), 5000, 'the backlog hold');
      const figures = server.queueFigures(id);
      expect(figures.backlogEvents).to.be.at.most(1001);
      expect(figures.heldInputBytes).to.be.at.most(256 * KiB);
      // DoEvents catches up and everything arrives, in order, nothing lost.
      const pump = doEventsLoop(server);
      await eventually(() => seen === 2000 * total, 30000, 'every event');
      await pump();
      expect(server.queueFigures(id).backlogEvents).to.equal(0);
    });
  });

  describe('sends never wedge', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'wsserver-budgets-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('a SendFile that times out half way ends its message; later sends go out whole', async () => {
      const { server, port } = await startServer({ config: { OutBufferSize: 64 * KiB } });
      const { client, id, connection } = await rawConnection(server, port);
      const socket = detach(client);
      const file = join(dir, 'big.bin');
      writeFileSync(file, Buffer.alloc(16 * MiB, 0x33));
      connection.timeout = 1;
      const failure = await rejection(server.sendFile(id, file));
      expect(failure.code).to.equal(609);
      expect(connection.protocolCore.sendingParts).to.equal(false);
      const reader = new StreamingFrameReader();
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      // A synchronous send waits for room; before the fix it failed with 616 (the file's message was open).
      connection.timeout = 10;
      await server.sendText(id, 'after the file');
      await eventually(() => reader.frames.some((f) => f.opcode === 1), 10000, 'the text after the file');
      const last = reader.frames.filter((f) => f.opcode === 0 || f.opcode === 2).at(-1)!;
      expect(last.fin).to.equal(true);
      expect(reader.frames.at(-1)!.fin).to.equal(true);
    });

    it('synchronous sends to a client that reads nothing each fail after Timeout from their own call', async () => {
      const { server, port } = await startServer({ config: { OutBufferSize: 64 * KiB } });
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      connection.timeout = 1;
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < 200; i++) sends.push(server.sendBytes(id, Buffer.alloc(64 * KiB, i)));
      // 200 waiting sends: one after another (the old rule) the last would fail after 200 s at least.
      const outcomes = (await Promise.race([
        Promise.allSettled(sends),
        new Promise((resolve) => setTimeout(resolve, 20000, 'still waiting')),
      ])) as Array<PromiseSettledResult<unknown>> | string;
      expect(outcomes).to.not.equal('still waiting');
      const failed = (outcomes as Array<PromiseSettledResult<unknown>>).filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
      expect(failed.length).to.be.greaterThan(100);
      expect([...new Set(failed.map((f) => (f.reason as { code: number }).code))]).to.deep.equal([609]);
    });

    it('DataToSend on a synchronous connection answers 10035 over OutBufferSize instead of queuing without bound', async () => {
      const { server, port } = await startServer({ config: { OutBufferSize: 64 * KiB } });
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      connection.timeout = 5;
      let accepted = 0;
      let refusal: { code?: number } | null = null;
      for (let i = 0; i < 3000 && refusal === null; i++) {
        try {
          server.setDataToSend(id, Buffer.alloc(16 * KiB));
          accepted++;
        } catch (error) {
          refusal = error as { code?: number };
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(refusal?.code).to.equal(10035);
      expect(connection.queuedBytes).to.be.at.most(64 * KiB + 16 * KiB);
      expect(accepted).to.be.below(3000);
    });
  });

  describe('permessage-deflate memory settings', () => {
    it('offers what the settings ask: no context takeover and smaller windows', async () => {
      const { server, port } = await startServer({
        config: { DeflateServerNoContextTakeover: true, DeflateClientNoContextTakeover: true, DeflateServerMaxWindowBits: 10, DeflateClientMaxWindowBits: 9 },
      });
      const client = track(await RawClient.connect(port));
      const response = await client.handshake({ extensions: 'permessage-deflate; client_max_window_bits' });
      expect(response.status).to.equal(101);
      const agreed = response.headers['sec-websocket-extensions']!.split(';').map((p) => p.trim());
      expect(agreed).to.include.members([
        'permessage-deflate',
        'server_no_context_takeover',
        'client_no_context_takeover',
        'server_max_window_bits=10',
        'client_max_window_bits=9',
      ]);
    });
  });
});
