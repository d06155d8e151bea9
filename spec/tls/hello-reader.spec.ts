import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { readClientHello, type HelloReading } from '../../lib/tls/hello-reader';

/** A minimal TLS 1.2 ClientHello offering TLS_RSA_WITH_AES_128_CBC_SHA only (RFC 5246 §7.4.1.2). */
function clientHello(): Buffer {
  const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0, 0, 2, 0x00, 0x2f, 1, 0])]);
  return Buffer.concat([Buffer.from([22, 3, 1, 0, body.length + 4, 1, 0, 0, body.length]), body]);
}

/** Stands in for the TCP socket: the reader only listens to 'data'. */
function fakeSocket(): EventEmitter & Socket {
  return new EventEmitter() as EventEmitter & Socket;
}

describe('tls/hello-reader', () => {
  it('answers once the record is whole, however it is chunked, with every byte read', () => {
    for (const size of [1, 3, 1000]) {
      const socket = fakeSocket();
      const seen: HelloReading[] = [];
      readClientHello(socket, (reading) => seen.push(reading));
      // Whatever follows the ClientHello in the last chunk is TLS's too.
      const input = Buffer.concat([clientHello(), Buffer.from([23, 3, 3])]);
      for (let at = 0; at < input.length; at += size) socket.emit('data', input.subarray(at, at + size));
      expect(seen, `chunks of ${size}`).to.have.length(1);
      const reading = seen[0]!;
      expect(reading.status).to.equal('hello');
      if (reading.status !== 'hello') return;
      expect(reading.hello.cipherSuites).to.deep.equal([0x002f]);
      // Every byte read so far: the whole ClientHello, and what came in the same chunk behind it.
      expect(reading.bytes).to.deep.equal(input.subarray(0, Math.ceil(clientHello().length / size) * size));
      expect(socket.listenerCount('data'), 'stops listening').to.equal(0);
    }
  });

  it('says why when the client does not speak TLS', () => {
    const socket = fakeSocket();
    const seen: HelloReading[] = [];
    readClientHello(socket, (reading) => seen.push(reading));
    socket.emit('data', Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(seen).to.have.length(1);
    expect(seen[0]!.status).to.equal('invalid');
    expect(socket.listenerCount('data')).to.equal(0);
  });

  it('stops listening when told to (the connection ended first)', () => {
    const socket = fakeSocket();
    const seen: HelloReading[] = [];
    const stop = readClientHello(socket, (reading) => seen.push(reading));
    socket.emit('data', clientHello().subarray(0, 10));
    stop();
    socket.emit('data', clientHello().subarray(10));
    expect([seen.length, socket.listenerCount('data')]).to.deep.equal([0, 0]);
  });
});
