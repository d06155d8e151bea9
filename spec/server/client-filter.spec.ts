import { expect } from 'chai';
import { defaultAccept, parseClientList } from '../../lib/server/client-filter';

/** [list text, address, expected match]. */
type Row = readonly [string, string, boolean];

function describeRows(title: string, rows: readonly Row[]): void {
  describe(title, () => {
    for (const [list, address, expected] of rows) {
      it(`'${list}' ${expected ? 'matches' : 'does not match'} ${address}`, () => {
        expect(parseClientList(list).matches(address)).to.equal(expected);
      });
    }
  });
}

describe('server/client-filter', () => {
  describeRows('IPv4 addresses', [
    ['192.168.1.10', '192.168.1.10', true],
    ['192.168.1.10', '192.168.1.11', false],
    ['192.168.1.10', '192.168.1.1', false],
    ['0.0.0.0', '0.0.0.0', true],
    ['255.255.255.255', '255.255.255.255', true],
    ['255.255.255.255', '255.255.255.254', false],
    ['10.0.0.1, 10.0.0.2', '10.0.0.2', true],
    ['10.0.0.1,10.0.0.2', '10.0.0.3', false],
    // The remote address as Node reports it on a dual-stack socket.
    ['192.168.1.10', '::ffff:192.168.1.10', true],
    ['192.168.1.10', '::FFFF:192.168.1.10', true],
    ['192.168.1.10', '::ffff:c0a8:10a', true],
    ['192.168.1.10', '0:0:0:0:0:ffff:c0a8:010a', true],
    ['192.168.1.10', '::ffff:192.168.1.11', false],
    // Only ::ffff:0:0/96 is the mapped range; the deprecated compatible form ::a.b.c.d is IPv6.
    ['192.168.1.10', '::192.168.1.10', false],
    ['192.168.1.10', '64:ff9b::192.168.1.10', false],
    ['::ffff:192.168.1.10', '192.168.1.10', true],
    ['::ffff:c0a8:10a', '192.168.1.10', true],
    // Not an address at all.
    ['192.168.1.10', '', false],
    ['192.168.1.10', 'garbage', false],
  ]);

  describeRows('IPv4 wildcards', [
    ['192.168.*.*', '192.168.0.0', true],
    ['192.168.*.*', '192.168.255.255', true],
    ['192.168.*.*', '192.169.0.1', false],
    ['192.168.*.*', '::ffff:192.168.3.4', true],
    ['10.*.*.1', '10.200.3.1', true],
    ['10.*.*.1', '10.200.3.2', false],
    ['*.*.*.*', '8.8.8.8', true],
    ['*.*.*.*', '::1', false],
    ['*.168.1.1', '7.168.1.1', true],
    ['*.168.1.1', '7.168.1.2', false],
  ]);

  describeRows('IPv4 CIDR', [
    ['10.0.0.0/8', '10.0.0.0', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['192.168.1.0/24', '192.168.1.77', true],
    ['192.168.1.0/24', '192.168.2.77', false],
    ['192.168.1.128/25', '192.168.1.128', true],
    ['192.168.1.128/25', '192.168.1.127', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['1.2.3.4/32', '1.2.3.4', true],
    ['1.2.3.4/32', '1.2.3.5', false],
    ['128.0.0.0/1', '200.0.0.0', true],
    ['128.0.0.0/1', '127.255.255.255', false],
    // Host bits in the entry are ignored.
    ['10.1.2.3/8', '10.9.9.9', true],
    ['10.1.2.3/8', '12.1.2.3', false],
    // The mapped range written as an IPv6 block is the IPv4 block.
    ['::ffff:10.0.0.0/104', '10.20.30.40', true],
    ['::ffff:10.0.0.0/104', '11.20.30.40', false],
    ['::ffff:0:0/96', '1.2.3.4', true],
  ]);

  describeRows('IPv6 addresses', [
    ['::1', '::1', true],
    ['::1', '0:0:0:0:0:0:0:1', true],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1', true],
    ['::1', '::2', false],
    ['::1', '127.0.0.1', false],
    ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', true],
    ['2001:DB8::1', '2001:db8::1', true],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', true],
    ['2001:db8::1:0:0:1', '2001:db8:0:0:1::1', true],
    ['2001:db8::1', '2001:db8::2', false],
    ['2001:db8::1', '2001:db8:1::1', false],
    ['fe80::1', 'fe80::1%eth0', true],
    ['fe80::1%eth0', 'fe80::1', true],
    ['[::1]', '::1', true],
    ['::1', '[::1]', true],
    ['::', '::', true],
    ['::', '::1', false],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.5', false],
  ]);

  describeRows('IPv6 CIDR', [
    ['2001:db8::/32', '2001:db8::1', true],
    ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '::1', true],
    // IPv6 blocks outside the mapped range match IPv6 addresses only.
    ['::/0', '1.2.3.4', false],
    ['::/0', '::ffff:1.2.3.4', false],
    ['2001:db8::1/128', '2001:db8::1', true],
    ['2001:db8::1/128', '2001:db8::', false],
    ['2001:db8::ff/127', '2001:db8::fe', true],
    ['2001:db8::ff/127', '2001:db8::fd', false],
  ]);

  describeRows('host names', [
    ['localhost', '127.0.0.1', true],
    ['localhost', '127.255.0.9', true],
    ['localhost', '::1', true],
    ['localhost', '::ffff:127.0.0.1', true],
    ['LocalHost', '127.0.0.1', true],
    ['localhost.', '::1', true],
    ['localhost', '128.0.0.1', false],
    ['localhost', '10.0.0.1', false],
    ['localhost', '::2', false],
    ['localhost', '0:0:0:0:0:0:0:1', true],
    // Without resolved names there is no way to match other names.
    ['example.com', '127.0.0.1', false],
    ['example.com', '93.184.216.34', false],
  ]);

  describe('host names with resolved names from the engine', () => {
    const rows: ReadonlyArray<readonly [string, string, readonly string[], boolean]> = [
      ['example.com', '93.184.216.34', ['example.com'], true],
      ['Example.COM', '93.184.216.34', ['www.x.org', 'EXAMPLE.com.'], true],
      ['example.com.', '93.184.216.34', ['example.com'], true],
      ['example.com', '93.184.216.34', ['www.example.com'], false],
      ['example.com', '93.184.216.34', ['example.co'], false],
      ['example.com', '93.184.216.34', [], false],
      ['localhost', '10.0.0.1', ['localhost'], true],
      // A name never stands in for an address entry.
      ['10.0.0.1', '10.0.0.2', ['10.0.0.1'], false],
      ['my_host-1.lan', '10.0.0.2', ['MY_HOST-1.LAN'], true],
    ];
    for (const [list, address, names, expected] of rows) {
      it(`'${list}' ${expected ? 'matches' : 'does not match'} ${address} named ${JSON.stringify(names)}`, () => {
        expect(parseClientList(list).matches(address, names)).to.equal(expected);
      });
    }
  });

  describeRows("'*' and mixed lists", [
    ['*', '1.2.3.4', true],
    ['*', '::1', true],
    ['*', 'not an address', true],
    ['10.0.0.0/8, ::1, localhost', '::1', true],
    ['10.0.0.0/8, ::1, example.org', '10.3.3.3', true],
    ['10.0.0.0/8, ::1, example.org', '11.3.3.3', false],
    [' 10.0.0.1 ,, 10.0.0.2 , ', '10.0.0.2', true],
  ]);

  describe('parsing', () => {
    it("'' is an empty list that matches nothing", () => {
      const list = parseClientList('');
      expect(list.entries).to.deep.equal([]);
      expect(list.matches('127.0.0.1')).to.equal(false);
      expect(list.matches('::1', ['localhost'])).to.equal(false);
    });

    it('blank and comma-only text is empty too', () => {
      expect(parseClientList(' , ,, ').entries).to.deep.equal([]);
    });

    it('keeps the entries trimmed and in order', () => {
      expect(parseClientList(' localhost , 10.0.0.0/8,::1 ').entries).to.deep.equal(['localhost', '10.0.0.0/8', '::1']);
    });

    const invalid: readonly string[] = [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1.2.3.-4',
      '192.168.*',
      '192.168.1*.*',
      '192.168.**.1',
      '192.168.*.*/16',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/8/8',
      '10.0.0.0/08',
      '10.0.0.0/ 8',
      '::1/129',
      '2001:db8::/x',
      'fe80::/10%eth0',
      '1:2:3:4:5:6:7:8:9',
      '2001:db8:::1',
      '2001:db8::g',
      'exa mple.com',
      'bad..name',
      '-bad.com',
      'bad-.com',
      'host.123',
      '*.example.com',
      'host/24',
      'a'.repeat(64),
      `${'a.'.repeat(127)}ab`,
    ];
    for (const entry of invalid) {
      it(`throws TypeError naming '${entry.length > 40 ? `${entry.slice(0, 20)}…` : entry}'`, () => {
        expect(() => parseClientList(`localhost, ${entry}`)).to.throw(TypeError, `'${entry}'`);
      });
    }

    it('accepts the longest legal name and label', () => {
      expect(parseClientList('a'.repeat(63)).entries).to.have.length(1);
      expect(parseClientList(`${'a.'.repeat(126)}a`).entries).to.have.length(1);
    });
  });

  describe('defaultAccept', () => {
    const none = parseClientList('');
    const rows: ReadonlyArray<readonly [string, string, string, boolean]> = [
      // [allowed, blocked, address, accept]
      ['', '', '1.2.3.4', true],
      ['10.0.0.0/8', '', '10.1.1.1', true],
      ['10.0.0.0/8', '', '11.1.1.1', false],
      ['10.0.0.0/8', '', '::ffff:10.1.1.1', true],
      ['', '10.0.0.0/8', '10.1.1.1', false],
      ['', '10.0.0.0/8', '::ffff:10.1.1.1', false],
      ['', '10.0.0.0/8', '11.1.1.1', true],
      // Blocked wins over allowed.
      ['10.0.0.0/8', '10.0.0.5', '10.0.0.5', false],
      ['10.0.0.0/8', '10.0.0.5', '10.0.0.6', true],
      ['localhost', '', '::1', true],
      ['localhost', '', '192.168.0.1', false],
      ['*', '192.168.*.*', '192.168.0.1', false],
      ['*', '192.168.*.*', '192.169.0.1', true],
    ];
    for (const [allowed, blocked, address, expected] of rows) {
      it(`allowed '${allowed}', blocked '${blocked}': ${address} → ${String(expected)}`, () => {
        expect(defaultAccept(address, parseClientList(allowed), parseClientList(blocked))).to.equal(expected);
      });
    }

    it('accepts anything when both lists are empty', () => {
      expect(defaultAccept('garbage', none, none)).to.equal(true);
    });

    it('fails closed while a host name is pending: AllowedClients admits only what its other entries match', () => {
      const allowed = parseClientList('clients.test, 10.0.0.0/8');
      expect([defaultAccept('127.0.0.1', allowed, none), defaultAccept('10.1.1.1', allowed, none)]).to.deep.equal([false, true]);
      allowed.resolved('clients.test', ['127.0.0.1']);
      expect(defaultAccept('127.0.0.1', allowed, none)).to.equal(true);
    });

    it('fails closed while a host name is pending: BlockedClients refuses everyone until the lookup is done', () => {
      const blocked = parseClientList('clients.test, 10.0.0.5');
      expect([defaultAccept('127.0.0.1', none, blocked), defaultAccept('192.168.1.1', none, blocked)]).to.deep.equal([false, false]);
      blocked.resolved('clients.test', ['::1']);
      expect([defaultAccept('127.0.0.1', none, blocked), defaultAccept('::1', none, blocked), defaultAccept('10.0.0.5', none, blocked)]).to.deep.equal([true, false, false]);
    });
  });

  describe('resolved host names', () => {
    it('a name matches the addresses it resolved to, in every spelling, and only those', () => {
      const list = parseClientList('Clients.Test.');
      expect([list.hostNames, list.pending, list.matches('127.0.0.1')]).to.deep.equal([['clients.test'], true, false]);
      list.resolved('CLIENTS.test', ['127.0.0.1', '::1', 'not-an-address']);
      expect(list.pending).to.equal(false);
      expect(list.addressesOf('clients.test')).to.deep.equal(['127.0.0.1', '::1']);
      for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '[::1]']) expect(list.matches(address), address).to.equal(true);
      for (const address of ['127.0.0.2', '::2', '10.0.0.1']) expect(list.matches(address), address).to.equal(false);
    });

    it('a failed lookup (null) keeps earlier addresses, and ends pending for a name never resolved', () => {
      const list = parseClientList('a.test, b.test');
      list.resolved('a.test', ['10.0.0.1']);
      list.resolved('a.test', null);
      expect(list.pending).to.equal(true);
      list.resolved('b.test', null);
      expect([list.pending, list.addressesOf('a.test'), list.addressesOf('b.test')]).to.deep.equal([false, ['10.0.0.1'], []]);
    });

    it('a result for a name the list does not have is ignored', () => {
      const list = parseClientList('a.test');
      list.resolved('b.test', ['10.0.0.1']);
      expect([list.matches('10.0.0.1'), list.isResolved('b.test')]).to.deep.equal([false, false]);
    });

    it('adopt takes over the shared names that the previous list resolved, and nothing else', () => {
      const previous = parseClientList('a.test, b.test');
      previous.resolved('a.test', ['10.0.0.1']);
      const next = parseClientList('a.test, b.test, c.test');
      next.adopt(previous);
      expect([next.isResolved('a.test'), next.isResolved('b.test'), next.isResolved('c.test')]).to.deep.equal([true, false, false]);
      expect(next.matches('10.0.0.1')).to.equal(true);
    });
  });
});
