import { expect } from 'chai';
import { DECODED_MEMO_LIMIT, TEXT_MEMO_LIMIT, decodeUtf8, forgetText, utf8Bytes } from '../../lib/server/text-memo';

describe('text-memo', () => {
  afterEach(() => forgetText());

  it('encodes like Buffer.from(text, "utf8"), lone surrogates included', () => {
    for (const text of ['', 'plain', 'grüß € 😀', 'a\uD800b', '\uDC00']) {
      expect(utf8Bytes(text).toString('hex'), JSON.stringify(text)).to.equal(Buffer.from(text, 'utf8').toString('hex'));
    }
  });

  it('sending one string again reuses its bytes (a broadcast encodes once)', () => {
    const first = utf8Bytes('to everyone ✓');
    expect(utf8Bytes('to everyone ✓')).to.equal(first);
    // An equal string built another way has the same bytes.
    expect(utf8Bytes(['to everyone', '✓'].join(' '))).to.equal(first);
  });

  it('a different string gets its own bytes', () => {
    const a = utf8Bytes('aaaa');
    const b = utf8Bytes('bbbb');
    expect(b).to.not.equal(a);
    expect(b.toString()).to.equal('bbbb');
    expect(utf8Bytes('aaaa').toString()).to.equal('aaaa');
  });

  it('the text of a received message is encoded no more: its bytes are remembered, as a copy', () => {
    const received = Buffer.from('echo → me', 'utf8');
    const text = decodeUtf8(received);
    expect(text).to.equal('echo → me');
    const sent = utf8Bytes(text);
    expect(sent.toString('hex')).to.equal(received.toString('hex'));
    expect(sent.buffer === received.buffer && sent.byteOffset === received.byteOffset, 'the received memory itself').to.equal(false);
    // Remembered: the same bytes again, without encoding.
    expect(utf8Bytes(text)).to.equal(sent);
  });

  it('overwriting the received bytes after reading the text does not change what is sent', () => {
    const received = Buffer.from('secret ✓', 'utf8');
    const text = decodeUtf8(received);
    received.fill(0);
    expect(utf8Bytes(text).toString()).to.equal('secret ✓');
  });

  it('received texts above DECODED_MEMO_LIMIT bytes are not copied (encoded when sent, as before)', () => {
    const received = Buffer.alloc(DECODED_MEMO_LIMIT + 1, 0x61);
    const text = decodeUtf8(received);
    const first = utf8Bytes(text);
    expect(first.toString()).to.equal(text);
    // Encoded by utf8Bytes, and then remembered from that encoding.
    expect(utf8Bytes(text)).to.equal(first);
  });

  it('keeps nothing above TEXT_MEMO_LIMIT bytes', () => {
    const big = 'x'.repeat(TEXT_MEMO_LIMIT + 1);
    const first = utf8Bytes(big);
    expect(first.length).to.equal(TEXT_MEMO_LIMIT + 1);
    expect(utf8Bytes(big)).to.not.equal(first);
    // At the limit it is kept.
    const atLimit = 'z'.repeat(TEXT_MEMO_LIMIT);
    expect(utf8Bytes(atLimit)).to.equal(utf8Bytes(atLimit));
  });

  it('forgetText drops the remembered bytes', () => {
    const first = utf8Bytes('once');
    forgetText();
    const again = utf8Bytes('once');
    expect(again).to.not.equal(first);
    expect(again.toString()).to.equal('once');
  });
});
