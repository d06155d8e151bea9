import { expect } from 'chai';
import { HttpRequestParser, type HttpRequest } from '../../lib/protocol/http-request';
import { forwardedClient, parseTrustedProxies } from '../../lib/server/forwarded-client';

function request(headers: string[]): HttpRequest {
  const head = ['GET / HTTP/1.1', 'Host: x', ...headers, '', ''].join('\r\n');
  return new HttpRequestParser({ maxHeaderSize: 16384 }).push(Buffer.from(head, 'latin1'))!;
}

describe('forwarded-client', () => {
  describe('parseTrustedProxies', () => {
    it('takes addresses and CIDR ranges of both families', () => {
      const list = parseTrustedProxies(' 10.0.0.0/8, ::1 ,fd00::/8,192.0.2.7');
      expect(list.matches('10.200.1.1')).to.equal(true);
      expect(list.matches('::1')).to.equal(true);
      expect(list.matches('fd12::5')).to.equal(true);
      expect(list.matches('192.0.2.8')).to.equal(false);
    });

    it('treats IPv4-mapped IPv6 as IPv4, both ways', () => {
      expect(parseTrustedProxies('::ffff:127.0.0.1').matches('127.0.0.1')).to.equal(true);
      expect(parseTrustedProxies('127.0.0.1').matches('::ffff:127.0.0.1')).to.equal(true);
    });

    it('refuses host names, * and malformed entries', () => {
      expect(() => parseTrustedProxies('proxy.internal')).to.throw(TypeError, /host name/);
      expect(() => parseTrustedProxies('10.0.0.1, *')).to.throw(TypeError, /every peer/);
      expect(() => parseTrustedProxies('10.0.0.0/33')).to.throw(TypeError, /10\.0\.0\.0\/33/);
    });

    it('is empty for an empty value', () => {
      expect(parseTrustedProxies('').entries).to.deep.equal([]);
    });
  });

  describe('forwardedClient', () => {
    const trusted = parseTrustedProxies('127.0.0.1, 10.0.0.0/8');

    it('keeps the peer when no proxy is trusted, or the peer is not one', () => {
      const forwarded = request(['X-Forwarded-For: 192.0.2.1']);
      expect(forwardedClient(forwarded, '127.0.0.1', parseTrustedProxies(''))).to.deep.equal({ kind: 'direct' });
      expect(forwardedClient(forwarded, '192.0.2.200', trusted)).to.deep.equal({ kind: 'direct' });
    });

    it('keeps the peer when it sends neither header', () => {
      expect(forwardedClient(request([]), '127.0.0.1', trusted)).to.deep.equal({ kind: 'direct' });
    });

    it('takes the rightmost address that is not a trusted proxy', () => {
      const verdict = forwardedClient(request(['X-Forwarded-For: 203.0.113.5, 198.51.100.9, 10.0.0.3']), '127.0.0.1', trusted);
      expect(verdict).to.deep.equal({ kind: 'forwarded', header: 'X-Forwarded-For', address: '198.51.100.9', port: null });
    });

    it('joins repeated headers in order', () => {
      const verdict = forwardedClient(request(['X-Forwarded-For: 198.51.100.9', 'X-Forwarded-For: 10.0.0.3']), '127.0.0.1', trusted);
      expect(verdict).to.deep.equal({ kind: 'forwarded', header: 'X-Forwarded-For', address: '198.51.100.9', port: null });
    });

    it('takes the leftmost when every hop is trusted', () => {
      const verdict = forwardedClient(request(['X-Forwarded-For: 10.0.0.9, 10.0.0.3']), '127.0.0.1', trusted);
      expect(verdict).to.deep.equal({ kind: 'forwarded', header: 'X-Forwarded-For', address: '10.0.0.9', port: null });
    });

    it('stops at an unknown hop, keeping the last address it could place', () => {
      expect(forwardedClient(request(['Forwarded: for=198.51.100.1, for=unknown, for=10.0.0.4']), '127.0.0.1', trusted)).to.deep.equal({ kind: 'forwarded', header: 'Forwarded', address: '10.0.0.4', port: null });
      expect(forwardedClient(request(['Forwarded: for=198.51.100.1, for=_obf']), '127.0.0.1', trusted)).to.deep.equal({ kind: 'direct' });
    });

    it('prefers Forwarded to X-Forwarded-For, with its port', () => {
      const verdict = forwardedClient(request(['X-Forwarded-For: 192.0.2.1', 'Forwarded: for="[2001:db8::9]:8443"']), '127.0.0.1', trusted);
      expect(verdict).to.deep.equal({ kind: 'forwarded', header: 'Forwarded', address: '2001:db8::9', port: 8443 });
    });

    it('reports a malformed header and keeps nothing of it', () => {
      expect(forwardedClient(request(['Forwarded: for=[::1]']), '127.0.0.1', trusted)).to.deep.equal({ kind: 'malformed', header: 'Forwarded', value: 'for=[::1]' });
      expect(forwardedClient(request(['X-Forwarded-For: nonsense']), '127.0.0.1', trusted)).to.deep.equal({ kind: 'malformed', header: 'X-Forwarded-For', value: 'nonsense' });
    });
  });
});
