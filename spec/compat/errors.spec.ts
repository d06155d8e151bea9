/**
 * Every error code of the API description that a scenario can reach is reached here through the
 * procedural face and checked (code and last-error text). The rest are listed with the reason they
 * cannot happen in a server on this platform, so no code is silently untested.
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { ERRORS, ErrorCode, EventId, PropertyId, errorMessage } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { RawClient } from '../helpers/raw-client';
import { closeAll, listening } from '../helpers/compat';
import { delay, eventually } from '../helpers/server';

type Scenario = () => Promise<{ code: number; message: string }>;

/** The last error of `res` after `code` came back. */
function last(res: number, code: number) {
  expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(code);
  return { code, message: api.ipworksssl_wsserver_get_last_error(res) };
}

/** A listening resource with one open raw-client connection. */
async function withConnection(setup?: (res: number) => void) {
  let cid = 0;
  const errors: Array<Record<string, unknown>> = [];
  const { res, port } = await listening((res) => {
    api.ipworksssl_wsserver_register_callback(res, EventId.Connected, (p) => void (cid = p.connectionid as number));
    api.ipworksssl_wsserver_register_callback(res, EventId.Error, (p) => void errors.push({ ...p }));
    setup?.(res);
  });
  const client = await RawClient.open(port);
  await eventually(() => cid > 0);
  return { res, port, cid, client, errors };
}

const REACHABLE: Record<number, Scenario> = {
  [ErrorCode.AlreadyListening]: async () => {
    const { res } = await listening();
    return last(res, await api.ipworksssl_wsserver_do_startlistening(res));
  },
  [ErrorCode.LocalPortWhileListening]: async () => {
    const { res } = await listening();
    return last(res, api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, 1));
  },
  [ErrorCode.LocalHostWhileListening]: async () => {
    const { res } = await listening();
    return last(res, api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, 'localhost'));
  },
  [ErrorCode.MaxConnectionsWhileListening]: async () => {
    const { res } = await listening();
    api.ipworksssl_wsserver_do_config(res, 'MaxConnections=5');
    return last(res, ErrorCode.MaxConnectionsWhileListening);
  },
  [ErrorCode.MaxLineLengthWhileConnected]: async () => {
    const { res, cid, client } = await withConnection();
    await api.ipworksssl_wsserver_do_changelinemode(res, cid, true);
    client.sendText('a partial line without its end');
    await eventually(() => {
      api.ipworksssl_wsserver_do_config(res, `MaxLineLength[${cid}]=512`);
      return api.ipworksssl_wsserver_get_last_error_code(res) === ErrorCode.MaxLineLengthWhileConnected;
    });
    return last(res, ErrorCode.MaxLineLengthWhileConnected);
  },
  [ErrorCode.InvalidConnectionId]: async () => {
    const { res } = await listening();
    return last(res, await api.ipworksssl_wsserver_do_sendtext(res, 12345, 'x'));
  },
  [ErrorCode.WouldBlock]: async () => {
    const { res, cid, client } = await withConnection((res) => api.ipworksssl_wsserver_do_config(res, 'OutBufferSize=65536'));
    client.socket.pause(); // a client that never reads
    const chunk = Buffer.alloc(256 * 1024, 1);
    for (let i = 0; i < 400; i++) {
      const code = await api.ipworksssl_wsserver_do_sendbytes(res, cid, chunk);
      if (code !== 0) {
        const result = last(res, code);
        expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionReadyToSend, cid)).to.equal(false);
        expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionBytesSent, cid)).to.equal(0);
        return result;
      }
    }
    throw new Error('the queue never filled');
  },
  [ErrorCode.AddressInUse]: async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, '127.0.0.1');
    api.ipworksssl_wsserver_set(res, PropertyId.LocalPort, port);
    const code = await api.ipworksssl_wsserver_do_startlistening(res);
    blocker.close();
    const result = last(res, code);
    api.ipworksssl_wsserver_close(res);
    return result;
  },
  [ErrorCode.AddressNotAvailable]: async () => {
    const res = api.ipworksssl_wsserver_open();
    // 192.0.2.0/24 is TEST-NET-1: never assigned to this machine, so binding fails at once (no traffic).
    api.ipworksssl_wsserver_set(res, PropertyId.LocalHost, '192.0.2.1');
    const result = last(res, await api.ipworksssl_wsserver_do_startlistening(res));
    api.ipworksssl_wsserver_close(res);
    return result;
  },
  [ErrorCode.InvalidHandle]: async () => ({ code: api.ipworksssl_wsserver_set(-5, 1, 1), message: api.ipworksssl_wsserver_get_last_error(-5) }),
  [ErrorCode.UnknownProperty]: async () => {
    const res = api.ipworksssl_wsserver_open();
    return last(res, api.ipworksssl_wsserver_set(res, 20, 1));
  },
  [ErrorCode.ReadOnlyProperty]: async () => {
    const res = api.ipworksssl_wsserver_open();
    return last(res, api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionCount, 3));
  },
  [ErrorCode.WriteOnlyProperty]: async () => {
    const { res, cid } = await withConnection();
    api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionDataToSend, cid);
    return last(res, ErrorCode.WriteOnlyProperty);
  },
  [ErrorCode.InvalidValue]: async () => {
    const res = api.ipworksssl_wsserver_open();
    return last(res, api.ipworksssl_wsserver_set(res, PropertyId.ConnectionBacklog, 'lots'));
  },
  [ErrorCode.UnknownConfig]: async () => {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_do_config(res, 'Bogus=1');
    return last(res, ErrorCode.UnknownConfig);
  },
  [ErrorCode.ReadOnlyConfig]: async () => {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_do_config(res, 'BuildInfo=mine');
    return last(res, ErrorCode.ReadOnlyConfig);
  },
  [ErrorCode.InvalidConfigValue]: async () => {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_do_config(res, 'MaxConnections=lots');
    return last(res, ErrorCode.InvalidConfigValue);
  },
  [ErrorCode.Timeout]: async () => {
    const { res, cid } = await withConnection();
    // The raw client never answers pings: with Timeout 1 the ping fails after a second.
    api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, cid, 1);
    return last(res, await api.ipworksssl_wsserver_do_ping(res, cid));
  },
  [ErrorCode.Interrupted]: async () => {
    const { res, cid } = await withConnection();
    api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, cid, 5);
    const ping = api.ipworksssl_wsserver_do_ping(res, cid);
    await delay(50);
    expect(await api.ipworksssl_wsserver_do_interrupt(res, cid)).to.equal(0);
    return last(res, await ping);
  },
  [ErrorCode.UnknownEvent]: async () => {
    const res = api.ipworksssl_wsserver_open();
    return last(res, api.ipworksssl_wsserver_register_callback(res, 99, () => undefined));
  },
  [ErrorCode.UnsupportedCodePage]: async () => {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_do_config(res, 'CodePage=932');
    return last(res, ErrorCode.UnsupportedCodePage);
  },
  [ErrorCode.FileError]: async () => {
    const { res, cid } = await withConnection();
    return last(res, await api.ipworksssl_wsserver_do_sendfile(res, cid, '/nonexistent/file.bin'));
  },
  [ErrorCode.ConnectionClosed]: async () => {
    const { res, cid } = await withConnection((res) => api.ipworksssl_wsserver_do_config(res, 'WaitForCloseResponse=false'));
    const disconnect = api.ipworksssl_wsserver_do_disconnect(res, cid);
    const result = last(res, await api.ipworksssl_wsserver_do_sendtext(res, cid, 'too late'));
    await disconnect;
    return result;
  },
  [ErrorCode.CallbackError]: async () => {
    const { client, errors } = await withConnection((res) => {
      api.ipworksssl_wsserver_register_callback(res, EventId.DataIn, () => {
        throw new Error('handler bug');
      });
    });
    client.sendText('x');
    await eventually(() => errors.length > 0);
    return { code: errors[0]!.errorcode as number, message: String(errors[0]!.description) };
  },
  [ErrorCode.InvalidArgument]: async () => {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_do_config(res, 'BufferMessage[3]=true');
    return last(res, ErrorCode.InvalidArgument);
  },
  [ErrorCode.HandshakeFailed]: async () => {
    const { port, errors } = await withConnection();
    const bad = await RawClient.connect(port);
    expect((await bad.handshake({ version: '8' })).status).to.equal(426);
    await eventually(() => errors.length > 0);
    return { code: errors[0]!.errorcode as number, message: String(errors[0]!.description) };
  },
  [ErrorCode.ProtocolViolation]: async () => {
    const { client, errors } = await withConnection();
    client.sendFrame(1, 'unmasked', { mask: null });
    await eventually(() => errors.length > 0);
    return { code: errors[0]!.errorcode as number, message: String(errors[0]!.description) };
  },
};

/** Codes no scenario can reach in this server, and why. */
const UNREACHABLE: Record<number, string> = {
  [ErrorCode.RemotePortWhileConnected]: 'client-side (RemotePort): a server has no RemotePort to change',
  [ErrorCode.RemoteHostWhileConnected]: 'client-side (RemoteHost): a server has no RemoteHost to change',
  [ErrorCode.InvalidRemoteHost]: 'client-side: a server never connects to a RemoteHost',
  [ErrorCode.RemotePortZero]: 'client-side: a server never connects to a RemotePort',
  [ErrorCode.OperationWouldBlock]: 'the SSLServer table\'s twin of 10035; sends report 10035 as the reference\'s send methods say',
  [ErrorCode.SendError]: 'raised when the OS fails a write (EPIPE…) mid-send: not reproducible on loopback without fault injection',
};

const TLS_CODES = (code: number) => code >= 270 && code <= 284;

describe('compat error codes', () => {
  afterEach(closeAll);

  for (const [code, scenario] of Object.entries(REACHABLE)) {
    const expected = Number(code);
    it(`reaches ${expected} (${errorMessage(expected)})`, async () => {
      const result = await scenario();
      expect(result.code).to.equal(expected);
      expect(result.message.startsWith(errorMessage(expected).replace(/\.$/, ''))).to.equal(true, `message "${result.message}"`);
    });
  }

  it('accounts for every code: reachable here, TLS (spec/tls), socket errno mapping (spec/server/socket-errors), or unreachable with a reason', () => {
    for (const error of ERRORS) {
      const covered =
        REACHABLE[error.code] !== undefined ||
        UNREACHABLE[error.code] !== undefined ||
        TLS_CODES(error.code) ||
        (error.code >= 10004 && error.code <= 11004);
      expect(covered, `${error.code} ${error.name}`).to.equal(true);
    }
  });
});
