import { expect } from 'chai';
import { SOCKET_ERROR_CODES, socketErrorCode } from '../../lib/server/socket-errors';
import { errorMessage } from '../../lib/generated/api';

/** A Node-style system error, as net/dns raise them. */
function systemError(code: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code} from a test`);
  error.code = code;
  error.syscall = 'connect';
  return error;
}

describe('server/socket-errors', () => {
  // The reference's table, written out here independently of the implementation's map.
  const rows: ReadonlyArray<readonly [string, number]> = [
    ['EINTR', 10004],
    ['EBADF', 10009],
    ['EACCES', 10013],
    ['EPERM', 10013],
    ['EFAULT', 10014],
    ['EINVAL', 10022],
    ['EMFILE', 10024],
    ['ENFILE', 10024],
    ['EWOULDBLOCK', 10035],
    ['EAGAIN', 10035],
    ['EINPROGRESS', 10036],
    ['EALREADY', 10037],
    ['ENOTSOCK', 10038],
    ['EMSGSIZE', 10040],
    ['EPROTONOSUPPORT', 10043],
    ['EOPNOTSUPP', 10045],
    ['EAFNOSUPPORT', 10047],
    ['EADDRINUSE', 10048],
    ['EADDRNOTAVAIL', 10049],
    ['ENETDOWN', 10050],
    ['ENETUNREACH', 10051],
    ['ECONNABORTED', 10053],
    ['ECONNRESET', 10054],
    ['ENOBUFS', 10055],
    ['EISCONN', 10056],
    ['ENOTCONN', 10057],
    ['EPIPE', 10058],
    ['ETIMEDOUT', 10060],
    ['ECONNREFUSED', 10061],
    ['ELOOP', 10062],
    ['ENAMETOOLONG', 10063],
    ['EHOSTDOWN', 10064],
    ['EHOSTUNREACH', 10065],
    ['ENOTEMPTY', 10066],
    ['ENOTFOUND', 11001],
    ['EAI_AGAIN', 11002],
    ['EAI_FAIL', 11003],
    ['EAI_NODATA', 11004],
  ];

  for (const [code, expected] of rows) {
    it(`${code} → ${expected}`, () => {
      expect(socketErrorCode(systemError(code))).to.equal(expected);
    });
  }

  it('covers every row above and maps only to the TCP/IP codes of the reference (10004–11004)', () => {
    for (const [code, expected] of rows) expect(SOCKET_ERROR_CODES.get(code), code).to.equal(expected);
    for (const [code, number] of SOCKET_ERROR_CODES) {
      expect(number, code).to.be.within(10004, 11004);
      expect(errorMessage(number).startsWith(`[${number}] `), code).to.equal(true);
    }
  });

  const unmapped: ReadonlyArray<readonly [string, unknown]> = [
    ['an unknown code', systemError('ENOENT')],
    ['a code in the wrong case', systemError('eaddrinuse')],
    ['an OpenSSL code', systemError('ERR_SSL_WRONG_VERSION_NUMBER')],
    ['an Error without code', new Error('plain')],
    ['a numeric code', { code: 10048 }],
    ['null', null],
    ['undefined', undefined],
    ['a number', 98],
    ['an unknown string', 'EWHATEVER'],
    ['an empty aggregate', new AggregateError([], 'none')],
  ];
  for (const [label, input] of unmapped) {
    it(`${label} → undefined`, () => {
      expect(socketErrorCode(input)).to.equal(undefined);
    });
  }

  it('takes a bare code string', () => {
    expect(socketErrorCode('ECONNRESET')).to.equal(10054);
  });

  it('maps an AggregateError without a code by its first inner error', () => {
    const error = new AggregateError([systemError('ECONNREFUSED'), systemError('ENETUNREACH')], 'all failed');
    expect(socketErrorCode(error)).to.equal(10061);
  });

  it("prefers the aggregate's own code over its inner errors", () => {
    const error = Object.assign(new AggregateError([systemError('ENETUNREACH')], 'all failed'), { code: 'ETIMEDOUT' });
    expect(socketErrorCode(error)).to.equal(10060);
  });
});
