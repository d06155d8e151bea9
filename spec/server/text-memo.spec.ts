import { expect } from 'chai';
import { TEXT_MEMO_LIMIT, decodeUtf8, forgetText, utf8Bytes } from '../../lib/server/text-memo';

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

  it('the text of a received message goes back as the bytes that arrived', () => {
    const received = Buffer.from('echo → me', 'utf8');
    const text = decodeUtf8(received);
    expect(text).to.equal('echo → me');
    expect(utf8Bytes(text)).to.equal(received);
  });

  it('keeps nothing above TEXT_MEMO_LIMIT bytes', () => {
    const big = 'x'.repeat(TEXT_MEMO_LIMIT + 1);
    const first = utf8Bytes(big);
    expect(first.length).to.equal(TEXT_MEMO_LIMIT + 1);
    expect(utf8Bytes(big)).to.not.equal(first);
    const received = Buffer.alloc(TEXT_MEMO_LIMIT + 1, 0x79);
    expect(utf8Bytes(decodeUtf8(received))).to.not.equal(received);
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
