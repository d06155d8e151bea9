import { expect } from 'chai';
import { ProxyHeaderError } from '../../lib/protocol/errors';
import { ProxyHeaderErrorCode, ProxyHeaderParser, V1_MAX_LENGTH, V2_MAX_LENGTH, type ProxyHeaderResult } from '../../lib/protocol/proxy-header';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: version/command byte, family/transport byte, then `block` (addresses, ports, TLVs). */
function v2(versionCommand: number, familyTransport: number, block: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(block.length);
  return Buffer.concat([SIGNATURE, Buffer.from([versionCommand, familyTransport]), length, block]);
}

function inetBlock(source: number[], destination: number[], sourcePort: number, destinationPort: number, extra = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(destinationPort, 2);
  return Buffer.concat([Buffer.from(source), Buffer.from(destination), ports, extra]);
}

function parse(bytes: Buffer): ProxyHeaderResult {
  return new ProxyHeaderParser().push(bytes);
}

/** Pushes one byte at a time; every push before the last must answer 'more'. */
function byteByByte(bytes: Buffer): ProxyHeaderResult {
  const parser = new ProxyHeaderParser();
  for (let i = 0; i < bytes.length - 1; i++) {
    const step = parser.push(bytes.subarray(i, i + 1));
    if (step.status !== 'more') return step;
  }
  return parser.push(bytes.subarray(bytes.length - 1));
}

function expectError(result: ProxyHeaderResult, code: string): ProxyHeaderError {
  expect(result.status).to.equal('error');
  const error = (result as { error: ProxyHeaderError }).error;
  expect(error).to.be.instanceOf(ProxyHeaderError);
  expect(error.code).to.equal(code);
  return error;
}

function expectDone(result: ProxyHeaderResult) {
  if (result.status !== 'done') throw new Error(`expected done, got ${result.status}${result.status === 'error' ? `: ${result.error.message}` : ''}`);
  return result;
}

describe('ProxyHeaderParser', () => {
  describe('version 1', () => {
    it('reads a TCP4 line and hands back what follows it', () => {
      const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
      const done = expectDone(parse(Buffer.from(`${line}GET / HTTP/1.1\r\n`, 'latin1')));
      expect(done.version).to.equal(1);
      expect(done.command).to.equal('proxy');
      expect(done.consumed).to.equal(line.length);
      expect(done.addresses).to.deep.equal({ family: 'IPv4', sourceAddress: '192.168.0.1', sourcePort: 56324, destinationAddress: '192.168.0.11', destinationPort: 443 });
      expect(done.rest.toString('latin1')).to.equal('GET / HTTP/1.1\r\n');
    });

    it('reads a TCP6 line, writing the addresses as Node does', () => {
      const done = expectDone(parse(Buffer.from('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 65535 0\r\n', 'latin1')));
      expect(done.addresses).to.deep.equal({ family: 'IPv6', sourceAddress: '2001:db8::1', sourcePort: 65535, destinationAddress: '::1', destinationPort: 0 });
      expect(done.rest.length).to.equal(0);
    });

    it('gives the same answer byte by byte', () => {
      const bytes = Buffer.from('PROXY TCP4 10.1.2.3 10.0.0.1 1234 80\r\n', 'latin1');
      const done = expectDone(byteByByte(bytes));
      expect(done.addresses!.sourceAddress).to.equal('10.1.2.3');
      expect(done.consumed).to.equal(bytes.length);
      expect(done.rest.length).to.equal(0);
    });

    it('keeps the socket addresses for UNKNOWN, whatever follows on the line', () => {
      for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n']) {
        const done = expectDone(parse(Buffer.from(line, 'latin1')));
        expect(done.command).to.equal('local');
        expect(done.addresses).to.equal(null);
        expect(done.consumed).to.equal(line.length);
      }
    });

    it('accepts the longest line (107 bytes) and refuses one byte more', () => {
      const group = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
      const longest = `PROXY UNKNOWN ${group} ${group} 65535 65535\r\n`;
      expect(longest.length).to.equal(V1_MAX_LENGTH);
      expect(expectDone(parse(Buffer.from(longest, 'latin1'))).consumed).to.equal(107);
      const longer = `PROXY UNKNOWN ${group} ${group} 65535 655350\r\n`;
      expectError(parse(Buffer.from(longer, 'latin1')), ProxyHeaderErrorCode.TooLong);
      expectError(byteByByte(Buffer.from(longer, 'latin1')), ProxyHeaderErrorCode.TooLong);
    });

    it('waits for the LF behind a CR', () => {
      const parser = new ProxyHeaderParser();
      expect(parser.push(Buffer.from('PROXY UNKNOWN\r', 'latin1')).status).to.equal('more');
      expect(parser.bufferedBytes).to.equal(14);
      expect(parser.push(Buffer.from('\n', 'latin1')).status).to.equal('done');
    });

    const malformed: Array<[string, string]> = [
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 'a lone LF'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', 'a lone CR'],
      ['PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', 'an unknown protocol'],
      ['PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n', 'a protocol in lower case'],
      ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', 'two spaces'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', 'a trailing space'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'a missing port'],
      ['PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'an IPv6 source for TCP4'],
      ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'an IPv4 source for TCP6'],
      ['PROXY TCP4 1.2.3.4 5.6.7.08 1 2\r\n', 'a leading zero in an address'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 'a leading zero in a port'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n', 'a port above 65535'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n', 'a negative port'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\t\r\n', 'a control byte'],
      ['PROXY TCP4 1.2.3.4 5.6.7.\u00e9 1 2\r\n', 'a byte above US-ASCII'],
      ['PROXY \r\n', 'no protocol'],
    ];
    for (const [line, what] of malformed) {
      it(`refuses ${what}`, () => {
        const bytes = Buffer.from(line, 'latin1');
        const error = expectError(parse(bytes), ProxyHeaderErrorCode.Syntax);
        expect(error.message).to.match(/^malformed PROXY v1 line: /);
        expectError(byteByByte(bytes), ProxyHeaderErrorCode.Syntax);
      });
    }
  });

  describe('version 2', () => {
    it('reads TCP over IPv4, skipping TLVs, and hands back what follows', () => {
      const tlv = Buffer.from([0x01, 0x00, 0x02, 0x68, 0x32]); // PP2_TYPE_ALPN "h2"
      const header = v2(0x21, 0x11, inetBlock([203, 0, 113, 7], [10, 0, 0, 1], 40000, 8443, tlv));
      const done = expectDone(parse(Buffer.concat([header, Buffer.from([0x16, 0x03, 0x01])])));
      expect(done.version).to.equal(2);
      expect(done.command).to.equal('proxy');
      expect(done.consumed).to.equal(16 + 12 + 5);
      expect(done.addresses).to.deep.equal({ family: 'IPv4', sourceAddress: '203.0.113.7', sourcePort: 40000, destinationAddress: '10.0.0.1', destinationPort: 8443 });
      expect([...done.rest]).to.deep.equal([0x16, 0x03, 0x01]);
    });

    it('reads TCP over IPv6, byte by byte', () => {
      const source = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 0x05];
      const destination = [...new Array(15).fill(0), 0x01];
      const done = expectDone(byteByByte(v2(0x21, 0x21, inetBlock(source, destination, 1, 65535))));
      expect(done.addresses).to.deep.equal({ family: 'IPv6', sourceAddress: '2001:db8::5', sourcePort: 1, destinationAddress: '::1', destinationPort: 65535 });
    });

    it('keeps the socket addresses for LOCAL, skipping whatever address block it has', () => {
      for (const block of [Buffer.alloc(0), inetBlock([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)]) {
        const done = expectDone(parse(v2(0x20, 0x11, block)));
        expect(done.command).to.equal('local');
        expect(done.addresses).to.equal(null);
        expect(done.consumed).to.equal(16 + block.length);
      }
    });

    it('keeps the socket addresses for AF_UNSPEC, an UNSPEC transport and AF_UNIX streams', () => {
      for (const [family, block] of [[0x00, Buffer.alloc(0)], [0x10, Buffer.alloc(12)], [0x31, Buffer.alloc(216)]] as const) {
        const done = expectDone(parse(v2(0x21, family, block)));
        expect(done.command, `family ${family}`).to.equal('local');
        expect(done.addresses).to.equal(null);
      }
    });

    it('refuses datagram transports', () => {
      for (const family of [0x12, 0x22, 0x32]) expectError(parse(v2(0x21, family, Buffer.alloc(216))), ProxyHeaderErrorCode.Unsupported);
    });

    it('refuses a version other than 2, an unknown command, family or transport', () => {
      expectError(parse(v2(0x11, 0x11, Buffer.alloc(12))), ProxyHeaderErrorCode.Invalid);
      expectError(parse(v2(0x22, 0x11, Buffer.alloc(12))), ProxyHeaderErrorCode.Invalid);
      expectError(parse(v2(0x21, 0x41, Buffer.alloc(12))), ProxyHeaderErrorCode.Invalid);
      expectError(parse(v2(0x21, 0x13, Buffer.alloc(12))), ProxyHeaderErrorCode.Invalid);
    });

    it('decides on a bad version as soon as its byte is there', () => {
      const bytes = v2(0x31, 0x11, Buffer.alloc(12)).subarray(0, 13);
      expectError(parse(bytes), ProxyHeaderErrorCode.Invalid);
    });

    it('refuses an address block too short for its family', () => {
      expectError(parse(v2(0x21, 0x11, Buffer.alloc(11))), ProxyHeaderErrorCode.Length);
      expectError(parse(v2(0x21, 0x21, Buffer.alloc(35))), ProxyHeaderErrorCode.Length);
      expectError(parse(v2(0x21, 0x31, Buffer.alloc(100))), ProxyHeaderErrorCode.Length);
    });

    it(`refuses a header longer than ${V2_MAX_LENGTH} bytes from its length field alone`, () => {
      const fixed = Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
      expectError(parse(fixed), ProxyHeaderErrorCode.TooLong);
      const largest = v2(0x21, 0x11, Buffer.alloc(V2_MAX_LENGTH - 16));
      expect(expectDone(parse(largest)).consumed).to.equal(V2_MAX_LENGTH);
      expectError(parse(v2(0x21, 0x11, Buffer.alloc(V2_MAX_LENGTH - 15))), ProxyHeaderErrorCode.TooLong);
    });

    it('waits for a truncated header, holding only what arrived', () => {
      const header = v2(0x21, 0x11, inetBlock([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
      const parser = new ProxyHeaderParser();
      expect(parser.push(header.subarray(0, 20)).status).to.equal('more');
      expect(parser.bufferedBytes).to.equal(20);
      expect(expectDone(parser.push(header.subarray(20))).addresses!.sourceAddress).to.equal('1.2.3.4');
      expect(parser.bufferedBytes).to.equal(0);
    });
  });

  describe('a missing header', () => {
    it('is refused at the first byte that fits neither version', () => {
      expectError(parse(Buffer.from('GET / HTTP/1.1\r\n', 'latin1')), ProxyHeaderErrorCode.Missing);
      expectError(parse(Buffer.from([0x16, 0x03, 0x01])), ProxyHeaderErrorCode.Missing);
      expectError(parse(Buffer.from('PROXX', 'latin1')), ProxyHeaderErrorCode.Missing);
      expectError(parse(Buffer.from('proxy TCP4', 'latin1')), ProxyHeaderErrorCode.Missing);
      expectError(parse(Buffer.from('0d0a0d0a010d', 'hex')), ProxyHeaderErrorCode.Missing);
    });

    it('is not decided while the bytes still fit a signature', () => {
      expect(parse(Buffer.from('PROX', 'latin1')).status).to.equal('more');
      expect(parse(SIGNATURE.subarray(0, 11)).status).to.equal('more');
    });
  });
});
