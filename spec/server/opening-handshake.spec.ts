import { expect } from 'chai';
import { HandshakeError } from '../../lib/protocol/errors';
import {
  OpeningHandshake,
  acceptResponse,
  agree,
  offeredSubprotocols,
  openRequestEvent,
  rejectResponse,
} from '../../lib/server/opening-handshake';

// RFC 6455 §1.3's sample key and the accept value it must give.
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function request(extra = '', version = '13'): string {
  return (
    'GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: ${version}\r\nOrigin: http://example.com\r\n${extra}\r\n`
  );
}

function readAll(text: string, extra?: Buffer) {
  const handshake = new OpeningHandshake(16 * 1024);
  const upgrade = handshake.read(extra ? Buffer.concat([Buffer.from(text, 'latin1'), extra]) : Buffer.from(text, 'latin1'));
  if (!upgrade) throw new Error('request incomplete');
  return { handshake, upgrade };
}

describe('opening-handshake', () => {
  describe('OpeningHandshake', () => {
    it('returns null until the request is complete, then the request, keeping it in upgrade', () => {
      const handshake = new OpeningHandshake(16 * 1024);
      const text = request();
      expect(handshake.read(Buffer.from(text.slice(0, 40), 'latin1'))).to.equal(null);
      expect(handshake.upgrade).to.equal(null);
      const upgrade = handshake.read(Buffer.from(text.slice(40), 'latin1'));
      expect(upgrade).to.not.equal(null);
      expect(upgrade!.uri).to.equal('/chat?x=1');
      expect(upgrade!.host).to.equal('example.com');
      expect(upgrade!.origin).to.equal('http://example.com');
      expect(handshake.upgrade).to.equal(upgrade);
    });

    it('keeps the bytes behind the request and those held later, in order, handing them out once', () => {
      const { handshake } = readAll(request(), Buffer.from([0x81, 0x80]));
      handshake.hold(Buffer.from([1, 2]));
      handshake.hold(Buffer.from([3]));
      expect([...handshake.takePendingInput()!]).to.deep.equal([0x81, 0x80, 1, 2, 3]);
      expect(handshake.takePendingInput()).to.equal(null);
    });

    it('throws the HandshakeError of a non-conforming request (§4.2.1: version 13 only)', () => {
      const handshake = new OpeningHandshake(16 * 1024);
      let caught: unknown;
      try {
        handshake.read(Buffer.from(request('', '8'), 'latin1'));
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(HandshakeError);
      expect((caught as HandshakeError).httpStatus).to.equal(426);
      expect((caught as HandshakeError).code).to.equal('WSS_ERR_VERSION');
      expect(handshake.upgrade).to.equal(null);
    });

    it('reads the head without checking it (readRequest), then checks it (validate)', () => {
      const handshake = new OpeningHandshake(16 * 1024);
      const plain = handshake.readRequest(Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
      expect(plain!.uri).to.equal('/healthz');
      expect(handshake.upgrade).to.equal(null);
      expect(() => handshake.validate(plain!)).to.throw(HandshakeError).with.property('code', 'WSS_ERR_UPGRADE');
      const upgrade = new OpeningHandshake(16 * 1024);
      const valid = upgrade.readRequest(Buffer.from(request(), 'latin1'));
      expect(upgrade.validate(valid!)).to.equal(upgrade.upgrade);
    });

    it('throws 431 for a head larger than MaxHeaderSize', () => {
      const handshake = new OpeningHandshake(64);
      expect(() => handshake.read(Buffer.from(request(), 'latin1')))
        .to.throw(HandshakeError)
        .with.property('httpStatus', 431);
    });
  });

  describe('openRequestEvent', () => {
    it('shows the request and accepts by default', () => {
      const { upgrade } = readAll(request('Sec-WebSocket-Protocol: chat, superchat\r\n'));
      const event = openRequestEvent(7, upgrade);
      expect(event).to.deep.include({
        connectionId: 7,
        requestURI: '/chat?x=1',
        hostHeader: 'example.com',
        originHeader: 'http://example.com',
        subProtocols: 'chat, superchat',
        extensions: '',
        statusCode: 101,
        responseHeaders: '',
      });
      expect(event.requestHeaders).to.equal(upgrade.request.rawHeaders);
      expect(offeredSubprotocols(upgrade)).to.equal('chat, superchat');
    });

    it('shows no subprotocols as an empty string', () => {
      const { upgrade } = readAll(request());
      expect(openRequestEvent(1, upgrade).subProtocols).to.equal('');
    });
  });

  describe('agree and acceptResponse', () => {
    it('takes the application choice only if it was offered', () => {
      const { upgrade } = readAll(request('Sec-WebSocket-Protocol: chat, superchat\r\n'));
      const event = openRequestEvent(1, upgrade);
      event.subProtocols = ' superchat ';
      expect(agree(upgrade, event, { enableDeflate: false, maxMessageSize: 0, deflate: {} }).protocol).to.equal('superchat');
      event.subProtocols = 'other';
      expect(agree(upgrade, event, { enableDeflate: false, maxMessageSize: 0, deflate: {} }).protocol).to.equal('');
    });

    it('agrees to permessage-deflate only when enabled', () => {
      const { upgrade } = readAll(request('Sec-WebSocket-Extensions: permessage-deflate\r\n'));
      const event = openRequestEvent(1, upgrade);
      const off = agree(upgrade, event, { enableDeflate: false, maxMessageSize: 1 << 20, deflate: {} });
      expect(off.deflate).to.equal(null);
      expect(off.extensions).to.equal('');
      const on = agree(upgrade, event, { enableDeflate: true, maxMessageSize: 1 << 20, deflate: {} });
      try {
        expect(on.deflate).to.not.equal(null);
        expect(on.extensions).to.match(/^permessage-deflate/);
      } finally {
        on.deflate?.close();
      }
    });

    it('answers 101 with the accept key, the protocol and the extra headers', () => {
      const { upgrade } = readAll(request('Sec-WebSocket-Protocol: chat\r\n'));
      const text = acceptResponse(upgrade, { deflate: null, extensions: '', protocol: 'chat' }, 'X-One: 1').toString('latin1');
      expect(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).to.equal(true);
      expect(text).to.include(`\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`);
      expect(text).to.include('\r\nSec-WebSocket-Protocol: chat\r\n');
      expect(text).to.include('\r\nX-One: 1\r\n');
      expect(text).to.not.include('Sec-WebSocket-Extensions');
      expect(text.endsWith('\r\n\r\n')).to.equal(true);
    });

    it('throws TypeError for extra headers that cannot be sent', () => {
      const { upgrade } = readAll(request());
      expect(() => acceptResponse(upgrade, { deflate: null, extensions: '', protocol: '' }, 'Bad Name: x')).to.throw(TypeError);
    });
  });

  describe('rejectResponse', () => {
    it('answers with the status and the extra headers', () => {
      const text = rejectResponse(403, [['X-Why', 'no']]).toString('latin1');
      expect(text.startsWith('HTTP/1.1 403 ')).to.equal(true);
      expect(text).to.include('\r\nX-Why: no\r\n');
    });

    it('leaves out extra headers that cannot be sent rather than the answer', () => {
      const text = rejectResponse(400, 'Bad Name: x').toString('latin1');
      expect(text.startsWith('HTTP/1.1 400 ')).to.equal(true);
      expect(text).to.not.include('Bad Name');
    });
  });
});
