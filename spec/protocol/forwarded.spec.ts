import { expect } from 'chai';
import { parseForwarded, parseXForwardedFor } from '../../lib/protocol/forwarded';

describe('forwarded', () => {
  describe('parseForwarded (RFC 7239)', () => {
    it('reads the for= chain in order, client first', () => {
      expect(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43, for=198.51.100.17')).to.deep.equal([
        { address: '192.0.2.60', port: null },
        { address: '198.51.100.17', port: null },
      ]);
    });

    it('reads quoted IPv6 addresses in brackets, with and without a port (§6)', () => {
      expect(parseForwarded('For="[2001:db8:cafe::17]:4711"')).to.deep.equal([{ address: '2001:db8:cafe::17', port: 4711 }]);
      expect(parseForwarded('for="[2001:DB8::1]"')).to.deep.equal([{ address: '2001:db8::1', port: null }]);
      expect(parseForwarded('for="192.0.2.43:47011"')).to.deep.equal([{ address: '192.0.2.43', port: 47011 }]);
    });

    it('shows an IPv4-mapped address as IPv4', () => {
      expect(parseForwarded('for="[::ffff:192.0.2.1]"')).to.deep.equal([{ address: '192.0.2.1', port: null }]);
    });

    it('gives no address for unknown, obfuscated names and elements without for=', () => {
      expect(parseForwarded('for=unknown, for=_hidden, proto=https, for="_x:_port", for="192.0.2.1:_p"')).to.deep.equal([
        { address: null, port: null },
        { address: null, port: null },
        { address: null, port: null },
        { address: null, port: null },
        { address: '192.0.2.1', port: null },
      ]);
    });

    it('keeps commas and semicolons inside quoted values, and unescapes them', () => {
      expect(parseForwarded('for=192.0.2.1;host="a,b;c", for="\\[::1\\]"')).to.deep.equal([
        { address: '192.0.2.1', port: null },
        { address: '::1', port: null },
      ]);
    });

    it('skips empty list members and empty pairs', () => {
      expect(parseForwarded(', for=192.0.2.1;;proto=http ,')).to.deep.equal([{ address: '192.0.2.1', port: null }]);
    });

    const malformed = [
      '',
      ' , ',
      'for=[2001:db8::1]', // brackets and colons are not token characters: the value must be quoted
      'for=2001:db8::1',
      'for="[2001:db8::1"',
      'for="192.0.2.1',
      'for=192.0.2.1;for=192.0.2.2',
      'for=',
      '=192.0.2.1',
      'f or=192.0.2.1',
      'for=192.0.2.256',
      'for="192.0.2.1:65536"',
      'for="192.0.2.1:"',
      'for=host.example',
      'for="a\u0001b"',
    ];
    for (const value of malformed) {
      it(`refuses ${JSON.stringify(value)}`, () => expect(parseForwarded(value)).to.equal(null));
    }
  });

  describe('parseXForwardedFor', () => {
    it('reads a chain of IPv4 and IPv6 addresses', () => {
      expect(parseXForwardedFor('203.0.113.195, 2001:db8:85a3:0:0:8a2e:370:7334,198.51.100.178')).to.deep.equal([
        { address: '203.0.113.195', port: null },
        { address: '2001:db8:85a3::8a2e:370:7334', port: null },
        { address: '198.51.100.178', port: null },
      ]);
    });

    it('takes addresses with a port or in brackets, without using the port', () => {
      expect(parseXForwardedFor('192.0.2.1:5000, [::1]:80, [2001:db8::2]')).to.deep.equal([
        { address: '192.0.2.1', port: null },
        { address: '::1', port: null },
        { address: '2001:db8::2', port: null },
      ]);
    });

    it('takes unknown as a hop without an address', () => {
      expect(parseXForwardedFor('unknown, 192.0.2.1')).to.deep.equal([{ address: null, port: null }, { address: '192.0.2.1', port: null }]);
    });

    for (const value of ['', '192.0.2.1,', ',192.0.2.1', '192.0.2.1,,192.0.2.2', 'example.com', '192.0.2.1 192.0.2.2', '192.0.2.01', '[192.0.2.1]', '192.0.2.1:99999']) {
      it(`refuses ${JSON.stringify(value)}`, () => expect(parseXForwardedFor(value)).to.equal(null));
    }
  });
});
