/**
 * LogSSLPackets: a pass-through stream between the TCP socket and TLS that reports every TLS record
 * going either way (RFC 8446 §5.1: type, legacy version, uint16 length). Used only when the setting is
 * on, since TLS over a JavaScript stream is slower than over the socket itself.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

const CONTENT_TYPES: Readonly<Record<number, string>> = Object.freeze({
  20: 'ChangeCipherSpec',
  21: 'Alert',
  22: 'Handshake',
  23: 'ApplicationData',
  24: 'Heartbeat',
});

/** Finds record boundaries in a byte stream delivered in arbitrary chunks. */
export class RecordScanner {
  private header = Buffer.alloc(5);
  private headerBytes = 0;
  private bodyLeft = 0;

  /** Calls `record` for every record header completed by `chunk`. */
  scan(chunk: Buffer, record: (type: number, version: number, length: number) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.bodyLeft > 0) {
        const step = Math.min(this.bodyLeft, chunk.length - pos);
        this.bodyLeft -= step;
        pos += step;
        continue;
      }
      this.header[this.headerBytes++] = chunk[pos++]!;
      if (this.headerBytes === 5) {
        this.headerBytes = 0;
        this.bodyLeft = this.header.readUInt16BE(3);
        record(this.header[0]!, this.header.readUInt16BE(1), this.bodyLeft);
      }
    }
  }
}

/** How a record is described in SSLStatus. */
export function describeRecord(direction: 'Received' | 'Sent', type: number, version: number, length: number): string {
  const name = CONTENT_TYPES[type] ?? `type ${type}`;
  return `${direction} TLS record: ${name}, version ${version >> 8}.${version & 0xff}, ${length} bytes`;
}

/**
 * Wraps `socket`; `report` gets one line per record in either direction. The socket is read only as
 * fast as TLS takes the bytes (pulled with read(), never paused or resumed here: the engine's read gate
 * alone does that).
 */
export function packetLoggingStream(socket: Socket, report: (message: string) => void): Duplex {
  const incoming = new RecordScanner();
  const outgoing = new RecordScanner();
  let wanted = false;
  const pull = () => {
    while (wanted) {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return;
      incoming.scan(chunk, (type, version, length) => report(describeRecord('Received', type, version, length)));
      wanted = stream.push(chunk);
    }
  };
  const stream: Duplex = new Duplex({
    read() {
      wanted = true;
      pull();
    },
    write(chunk: Buffer, _encoding, callback) {
      outgoing.scan(chunk, (type, version, length) => report(describeRecord('Sent', type, version, length)));
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('readable', pull);
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('error', (error) => stream.destroy(error));
  return stream;
}
