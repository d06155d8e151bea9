/**
 * The sends of the procedural face (do_sendtext, do_sendbytes, do_send) on both kinds of connection.
 * On an asynchronous connection (Timeout 0) they queue the message themselves and answer with an
 * already-settled promise; these specs pin what that must keep: the side effect and the last error
 * are there when the call returns, the promise resolves with 0 or the code and never rejects, and
 * the bytes on the wire are those of the engine's own SendText/SendBytes/Send.
 */
import { expect } from 'chai';
import { ErrorCode, EventId, PropertyId } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { RawClient } from '../helpers/raw-client';
import { closeAll, listening } from '../helpers/compat';
import { eventually } from '../helpers/server';

interface Peer {
  res: number;
  cid: number;
  client: RawClient;
}

async function peer(): Promise<Peer> {
  let cid = 0;
  const { res, port } = await listening((res) => {
    api.ipworksssl_wsserver_register_callback(res, EventId.Connected, (p) => void (cid = p.connectionid as number));
  });
  const client = await RawClient.open(port);
  await eventually(() => cid > 0, 3000, 'Connected');
  return { res, cid, client };
}

/** Makes the last error non-zero, so that a later success visibly resets it. */
function dirty(res: number): void {
  expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionBytesSent, 999999)).to.equal(false);
  expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.InvalidConnectionId);
}

describe('procedural sends', () => {
  afterEach(closeAll);

  describe('on an asynchronous connection (Timeout 0)', () => {
    it('do_sendtext: queued and the last error reset before the call returns; resolves 0', async () => {
      const { res, cid, client } = await peer();
      dirty(res);
      const result = api.ipworksssl_wsserver_do_sendtext(res, cid, 'héllo');
      expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(0);
      expect(api.ipworksssl_wsserver_get_last_error(res)).to.equal('');
      expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionBytesSent, cid)).to.equal(6);
      expect(await result).to.equal(0);
      const message = await client.readMessage();
      expect(message.opcode).to.equal(1);
      expect(message.data.toString('utf8')).to.equal('héllo');
    });

    it('do_sendtext: a non-string is sent as its String() form', async () => {
      const { res, cid, client } = await peer();
      expect(await api.ipworksssl_wsserver_do_sendtext(res, cid, 42 as unknown as string)).to.equal(0);
      expect((await client.readMessage()).data.toString()).to.equal('42');
    });

    it('do_sendbytes: a Buffer, a Uint8Array view and a one-char-per-byte string go out as binary, in order', async () => {
      const { res, cid, client } = await peer();
      const backing = new Uint8Array([9, 8, 7, 6, 5]);
      const results = [
        api.ipworksssl_wsserver_do_sendbytes(res, cid, Buffer.from([1, 2, 3])),
        api.ipworksssl_wsserver_do_sendbytes(res, cid, backing.subarray(1, 4)),
        api.ipworksssl_wsserver_do_sendbytes(res, cid, 'caf\u00e9'),
      ];
      expect(await Promise.all(results)).to.deep.equal([0, 0, 0]);
      const got = [await client.readMessage(), await client.readMessage(), await client.readMessage()];
      expect(got.map((m) => m.opcode)).to.deep.equal([2, 2, 2]);
      expect(got.map((m) => [...m.data])).to.deep.equal([[1, 2, 3], [8, 7, 6], [0x63, 0x61, 0x66, 0xe9]]);
    });

    it('do_send: follows the connection DataFormat (0 auto, 1 text, 2 binary)', async () => {
      const { res, cid, client } = await peer();
      expect(await api.ipworksssl_wsserver_do_send(res, cid, 'auto text')).to.equal(0);
      expect(await api.ipworksssl_wsserver_do_send(res, cid, Buffer.from([0xff]))).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataFormat, cid, 2)).to.equal(0);
      expect(await api.ipworksssl_wsserver_do_send(res, cid, 'as binary')).to.equal(0);
      const got = [await client.readMessage(), await client.readMessage(), await client.readMessage()];
      expect(got.map((m) => [m.opcode, m.data.toString('latin1')])).to.deep.equal([
        [1, 'auto text'],
        [2, '\xff'],
        [2, 'as binary'],
      ]);
    });

    it('a failure is the last error when the call returns, and the promise resolves with its code', async () => {
      const { res, cid } = await peer();
      const unknown = api.ipworksssl_wsserver_do_sendtext(res, 4040, 'x');
      expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.InvalidConnectionId);
      expect(await unknown).to.equal(ErrorCode.InvalidConnectionId);
      expect(await api.ipworksssl_wsserver_do_sendbytes(res, 4040, Buffer.from('x'))).to.equal(ErrorCode.InvalidConnectionId);
      expect(await api.ipworksssl_wsserver_do_send(res, 4040, 'x')).to.equal(ErrorCode.InvalidConnectionId);
      // DataFormat 1 takes bytes only when they are UTF-8.
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataFormat, cid, 1)).to.equal(0);
      const invalid = api.ipworksssl_wsserver_do_send(res, cid, Buffer.from([0xc3]));
      expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.InvalidArgument);
      expect(api.ipworksssl_wsserver_get_last_error(res)).to.contain('not valid UTF-8');
      expect(await invalid).to.equal(ErrorCode.InvalidArgument);
      // Something that is not bytes.
      expect(await api.ipworksssl_wsserver_do_sendbytes(res, cid, 12 as unknown as Uint8Array)).to.equal(ErrorCode.InvalidArgument);
    });

    it('a bad handle answers 601 without a last error of its own', async () => {
      for (const result of [
        api.ipworksssl_wsserver_do_sendtext(777777, 1, 'x'),
        api.ipworksssl_wsserver_do_sendbytes(777777, 1, Buffer.from('x')),
        api.ipworksssl_wsserver_do_send(777777, 1, 'x'),
        api.ipworksssl_wsserver_do_doevents(777777),
      ]) {
        expect(await result).to.equal(ErrorCode.InvalidHandle);
      }
    });
  });

  describe('on a synchronous connection (Timeout > 0)', () => {
    it('sends through the engine and resolves 0 once queued', async () => {
      const { res, cid, client } = await peer();
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, cid, 5)).to.equal(0);
      dirty(res);
      const results = [
        api.ipworksssl_wsserver_do_sendtext(res, cid, 'one'),
        api.ipworksssl_wsserver_do_sendbytes(res, cid, Buffer.from('two')),
        api.ipworksssl_wsserver_do_send(res, cid, 'three'),
      ];
      expect(await Promise.all(results)).to.deep.equal([0, 0, 0]);
      expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(0);
      const got = [await client.readMessage(), await client.readMessage(), await client.readMessage()];
      expect(got.map((m) => [m.opcode, m.data.toString()])).to.deep.equal([
        [1, 'one'],
        [2, 'two'],
        [1, 'three'],
      ]);
    });

    it('reports a failure through the resolved code', async () => {
      const { res, cid } = await peer();
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, cid, 5)).to.equal(0);
      expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataFormat, cid, 1)).to.equal(0);
      expect(await api.ipworksssl_wsserver_do_send(res, cid, Buffer.from([0xff, 0xfe]))).to.equal(ErrorCode.InvalidArgument);
      expect(api.ipworksssl_wsserver_get_last_error_code(res)).to.equal(ErrorCode.InvalidArgument);
    });
  });
});
