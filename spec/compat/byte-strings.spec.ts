/**
 * Binary strings in both compat faces: what the API hands out as a string for binary data is one
 * char per byte, and every parameter that is binary by nature takes such a string back unchanged —
 * all 256 byte values, over a real socket. A char above 0xFF there is 605; text stays text; Send in
 * DataFormat 0 picks text or binary from the string as issue 13 says.
 */
import { expect } from 'chai';
import { CertStoreType, ErrorCode, errorMessage, PropertyId } from '../../lib/generated/api';
import { Opcode } from '../../lib/protocol/constants';
import { WSServerError } from '../../lib/server/errors';
import { BLOB_STORE_TYPES, bytesOfString, formatCompatData, isByteString, stringOfBytes } from '../../compat/byte-strings';
import { PASSWORD, fixture } from '../tls/fixtures';
import { RawClient } from '../helpers/raw-client';
import { eventually } from '../helpers/server';
import { FACE_KINDS, openFace, type Face, type OpenFace } from './support/faces';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ALL_BYTES_STRING = ALL_BYTES.toString('latin1');

describe('compat byte strings', () => {
  describe('bytesOfString / stringOfBytes', () => {
    it('take and give one char per byte, for every byte value', () => {
      expect([...bytesOfString(ALL_BYTES_STRING, 'x')]).to.deep.equal([...ALL_BYTES]);
      expect(stringOfBytes(ALL_BYTES)).to.equal(ALL_BYTES_STRING);
      expect(stringOfBytes(new Uint8Array([0, 200, 7]).subarray(1))).to.equal('\u00c8\u0007');
      expect(isByteString(ALL_BYTES_STRING)).to.equal(true);
    });

    it('refuse a char above 0xFF with 605, naming the parameter and the char', () => {
      for (const text of ['\u0100', 'ok\u20ac', 'a\u{1F600}']) {
        expect(isByteString(text)).to.equal(false);
        let thrown: unknown;
        try {
          bytesOfString(text, 'SendBytes');
        } catch (error) {
          thrown = error;
        }
        expect(thrown).to.be.instanceOf(WSServerError);
        expect((thrown as WSServerError).code).to.equal(ErrorCode.InvalidValue);
        expect((thrown as WSServerError).message).to.match(new RegExp(`^${errorMessage(ErrorCode.InvalidValue).replace('.', '\\.')} SendBytes .*U\\+`));
      }
    });

    it('knows the blob store types from the CertStoreType table', () => {
      expect([...BLOB_STORE_TYPES]).to.include.members([CertStoreType.cstPFXBlob, CertStoreType.cstPEMKeyBlob, CertStoreType.cstP7BBlob]);
      expect(BLOB_STORE_TYPES.has(CertStoreType.cstPFXFile)).to.equal(false);
      expect(BLOB_STORE_TYPES.has(CertStoreType.cstAuto)).to.equal(false);
    });
  });

  describe('formatCompatData (Send / WSConnectionDataToSend)', () => {
    const cases: Array<[string, number, unknown, number, number[] | ErrorCode]> = [
      ['DataFormat 0, ASCII: text', 0, 'hello', Opcode.Text, [...Buffer.from('hello')]],
      ['DataFormat 0, empty string: text', 0, '', Opcode.Text, []],
      ['DataFormat 0, a char above 0xFF: text, UTF-8', 0, 'caf\u00e9 \u20ac', Opcode.Text, [...Buffer.from('caf\u00e9 \u20ac', 'utf8')]],
      ['DataFormat 0, byte string holding UTF-8: text, those bytes', 0, 'caf\u00c3\u00a9', Opcode.Text, [0x63, 0x61, 0x66, 0xc3, 0xa9]],
      ['DataFormat 0, "café" (Latin-1 only): binary, one byte per char', 0, 'caf\u00e9', Opcode.Binary, [0x63, 0x61, 0x66, 0xe9]],
      ['DataFormat 0, bytes: binary', 0, Buffer.from([0x68, 0x69]), Opcode.Binary, [0x68, 0x69]],
      ['DataFormat 1, a string: text, UTF-8', 1, 'caf\u00e9', Opcode.Text, [0x63, 0x61, 0x66, 0xc3, 0xa9]],
      ['DataFormat 1, bytes that are not UTF-8: 616', 1, Buffer.from([0xe9]), Opcode.Text, ErrorCode.InvalidArgument],
      ['DataFormat 2, a byte string: binary, one byte per char', 2, 'caf\u00e9', Opcode.Binary, [0x63, 0x61, 0x66, 0xe9]],
      ['DataFormat 2, a char above 0xFF: 605', 2, '\u20ac', Opcode.Binary, ErrorCode.InvalidValue],
      ['DataFormat 9, a byte string: ping, one byte per char', 9, '\u00ff\u0000', Opcode.Ping, [0xff, 0]],
      ['DataFormat 10, a char above 0xFF: 605', 10, '\u0101', Opcode.Binary, ErrorCode.InvalidValue],
      ['DataFormat 10, a byte string: pong', 10, '\u0080', Opcode.Pong, [0x80]],
    ];
    for (const [title, format, data, opcode, expected] of cases) {
      it(title, () => {
        const [gotOpcode, bytes] = formatCompatData(format, data);
        if (typeof expected === 'number') {
          expect(bytes).to.be.instanceOf(WSServerError);
          expect((bytes as WSServerError).code).to.equal(expected);
          return;
        }
        expect(gotOpcode).to.equal(opcode);
        expect([...(bytes as Buffer)]).to.deep.equal(expected);
      });
    }
  });

  for (const kind of FACE_KINDS) {
    describe(`through the ${kind === 'php' ? 'PHP-style class' : 'procedural functions'} (loopback)`, () => {
      let open: OpenFace;
      let face: Face;
      let client: RawClient;
      let cid: number;

      beforeEach(async () => {
        open = await openFace(kind);
        face = open.face;
        client = await RawClient.open(open.port);
        await eventually(() => open.events.connected.length === 1, 3000, 'Connected');
        cid = open.events.connected[0]!;
      });

      afterEach(async () => {
        client.destroy();
        await open.stop();
      });

      /** DataIn `text` of a binary message holding all 256 byte values. */
      async function receivedBinaryText(): Promise<string> {
        const before = open.events.dataIn.length;
        client.sendBinary(ALL_BYTES);
        await eventually(() => open.events.dataIn.length > before, 3000, 'DataIn');
        const params = open.events.dataIn[before]!;
        expect(params.dataformat).to.equal(2);
        expect(params.text).to.equal(ALL_BYTES_STRING);
        return params.text as string;
      }

      async function expectBinaryEcho(): Promise<void> {
        const message = await client.readMessage();
        expect(message.opcode).to.equal(Opcode.Binary);
        expect(message.data.equals(ALL_BYTES)).to.equal(true, `got ${message.data.length} bytes`);
      }

      it('DataIn text of a binary message → SendBytes: the same 256 bytes come back', async () => {
        expect(await face.sendBytes(cid, await receivedBinaryText())).to.equal(0);
        await expectBinaryEcho();
      });

      for (const format of [0, 2]) {
        it(`DataIn text of a binary message → Send with DataFormat ${format}: the same 256 bytes, as binary`, async () => {
          expect(face.set(PropertyId.WSConnectionDataFormat, cid, format)).to.equal(0);
          expect(await face.send(cid, await receivedBinaryText())).to.equal(0);
          await expectBinaryEcho();
        });

        it(`DataIn text of a binary message → WSConnectionDataToSend with DataFormat ${format}: the same 256 bytes, as binary`, async () => {
          expect(face.set(PropertyId.WSConnectionDataFormat, cid, format)).to.equal(0);
          expect(face.set(PropertyId.WSConnectionDataToSend, cid, await receivedBinaryText())).to.equal(0);
          await expectBinaryEcho();
        });
      }

      it('on a synchronous connection (Timeout > 0) too: SendBytes and Send give the bytes back', async () => {
        expect(face.set(PropertyId.WSConnectionTimeout, cid, 5)).to.equal(0);
        const text = await receivedBinaryText();
        expect(await face.sendBytes(cid, text)).to.equal(0);
        await expectBinaryEcho();
        expect(face.set(PropertyId.WSConnectionDataFormat, cid, 2)).to.equal(0);
        expect(await face.send(cid, text)).to.equal(0);
        await expectBinaryEcho();
      });

      it('Ping payloads (all 256 values over three pings) → SendBytes and Send with DataFormat 9 give the bytes back', async () => {
        const chunks = [ALL_BYTES.subarray(0, 125), ALL_BYTES.subarray(125, 250), ALL_BYTES.subarray(250)];
        for (const [n, chunk] of chunks.entries()) {
          client.sendFrame(Opcode.Ping, chunk);
          await eventually(() => open.events.pings.length === n + 1, 3000, 'Ping');
          const payload = open.events.pings[n]!.payload as string;
          expect(payload).to.equal(chunk.toString('latin1'));
          expect(face.set(PropertyId.WSConnectionDataFormat, cid, 0)).to.equal(0);
          expect(await face.sendBytes(cid, payload)).to.equal(0);
          const message = await client.readMessage();
          expect(message.opcode).to.equal(Opcode.Binary);
          expect(message.data.equals(chunk)).to.equal(true);
          expect(face.set(PropertyId.WSConnectionDataFormat, cid, 9)).to.equal(0);
          expect(await face.send(cid, payload)).to.equal(0);
          let frame = await client.readFrame();
          while (frame.opcode !== Opcode.Ping) frame = await client.readFrame(); // past the automatic pong
          expect(frame.payload.equals(chunk)).to.equal(true);
        }
      });

      it('a char above 0xFF in a binary parameter is 605, and nothing is sent', async () => {
        expect(await face.sendBytes(cid, 'caf\u00e9\u20ac')).to.equal(ErrorCode.InvalidValue);
        for (const format of [2, 9, 10]) {
          expect(face.set(PropertyId.WSConnectionDataFormat, cid, format)).to.equal(0);
          expect(await face.send(cid, '\u0100')).to.equal(ErrorCode.InvalidValue);
          expect(face.set(PropertyId.WSConnectionDataToSend, cid, '\u0100')).to.equal(ErrorCode.InvalidValue);
        }
        expect(face.get(PropertyId.WSConnectionBytesSent, cid)).to.equal(0);
      });

      it('DataFormat 0 picks the frame type from the string; text stays text elsewhere', async () => {
        expect(face.set(PropertyId.WSConnectionDataFormat, cid, 0)).to.equal(0);
        const sends: Array<[unknown, number, string]> = [
          ['plain ascii', Opcode.Text, Buffer.from('plain ascii').toString('hex')],
          ['\u65e5\u672c caf\u00e9', Opcode.Text, Buffer.from('\u65e5\u672c caf\u00e9', 'utf8').toString('hex')],
          ['caf\u00c3\u00a9', Opcode.Text, '636166c3a9'],
          ['caf\u00e9', Opcode.Binary, '636166e9'],
          [Buffer.from('bytes'), Opcode.Binary, Buffer.from('bytes').toString('hex')],
        ];
        for (const [data] of sends) expect(await face.send(cid, data)).to.equal(0);
        // SendText and DataFormat 1 keep text as text: "café" is its UTF-8.
        expect(await face.sendText(cid, 'caf\u00e9')).to.equal(0);
        expect(face.set(PropertyId.WSConnectionDataFormat, cid, 1)).to.equal(0);
        expect(await face.send(cid, 'caf\u00e9')).to.equal(0);
        const expected = [...sends.map(([, opcode, hex]) => [opcode, hex]), [Opcode.Text, '636166c3a9'], [Opcode.Text, '636166c3a9']];
        const got: Array<[number, string]> = [];
        for (let i = 0; i < expected.length; i++) {
          const message = await client.readMessage();
          got.push([message.opcode, message.data.toString('hex')]);
        }
        expect(got).to.deep.equal(expected);
      });

      it('SSLCertStore (a blob type) and SSLCertEncoded take all 256 byte values and give them back', () => {
        expect(face.set(PropertyId.SSLCertStoreType, undefined, CertStoreType.cstPFXBlob)).to.equal(0);
        expect(face.set(PropertyId.SSLCertStore, undefined, ALL_BYTES_STRING)).to.equal(0);
        expect(face.get(PropertyId.SSLCertStore)).to.equal(ALL_BYTES_STRING);
        expect(face.set(PropertyId.SSLCertStore, undefined, ALL_BYTES)).to.equal(0);
        expect(face.get(PropertyId.SSLCertStore)).to.equal(ALL_BYTES_STRING);
        // Not a certificate: kept as set.
        expect(face.set(PropertyId.SSLCertEncoded, undefined, ALL_BYTES_STRING)).to.equal(0);
        expect(face.get(PropertyId.SSLCertEncoded)).to.equal(ALL_BYTES_STRING);
      });

      it('a PFX and a DER certificate given as binary strings are read byte for byte', () => {
        const pfx = fixture('server-rsa.pfx');
        expect(face.set(PropertyId.SSLCertStoreType, undefined, CertStoreType.cstPFXBlob)).to.equal(0);
        expect(face.set(PropertyId.SSLCertStore, undefined, pfx.toString('latin1'))).to.equal(0);
        expect(face.get(PropertyId.SSLCertStore)).to.equal(pfx.toString('latin1'));
        expect(face.set(PropertyId.SSLCertStorePassword, undefined, PASSWORD)).to.equal(0);
        expect(face.set(PropertyId.SSLCertSubject, undefined, '*')).to.equal(0);
        expect(face.get(PropertyId.SSLCertSubject)).to.match(/CN=/);
        const der = fixture('server-rsa.der');
        expect(face.set(PropertyId.SSLCertEncoded, undefined, der.toString('latin1'))).to.equal(0);
        expect(face.get(PropertyId.SSLCertEncoded)).to.equal(der.toString('base64'));
        expect(face.get(PropertyId.SSLCertSubject)).to.match(/CN=/);
      });

      it('a char above 0xFF in SSLCertEncoded or a blob SSLCertStore is 605; file and store names stay text', () => {
        expect(face.set(PropertyId.SSLCertEncoded, undefined, 'MII\u20ac')).to.equal(ErrorCode.InvalidValue);
        for (const type of [CertStoreType.cstPFXBlob, CertStoreType.cstPEMKeyBlob, CertStoreType.cstAuto]) {
          expect(face.set(PropertyId.SSLCertStoreType, undefined, type)).to.equal(0);
          expect(face.set(PropertyId.SSLCertStore, undefined, 'blob\u0100')).to.equal(ErrorCode.InvalidValue);
        }
        expect(face.set(PropertyId.SSLCertStoreType, undefined, CertStoreType.cstPFXFile)).to.equal(0);
        expect(face.set(PropertyId.SSLCertStore, undefined, '/srv/\u8bc1\u4e66.pfx')).to.equal(0);
        expect(face.get(PropertyId.SSLCertStore)).to.equal('/srv/\u8bc1\u4e66.pfx');
      });
    });
  }
});
