// PHP string literals as the bytes PHP holds, and those bytes as JavaScript literals.
import { expect } from 'chai';
import { bytesLiteral, doubleQuotedBytes, isUtf8, jsQuote, templatePiece, utf8Bytes } from '../src/literals.mjs';

describe('port/literals', () => {
  const rows = [
    ['a\\tb\\n', 'a\tb\n'],
    ['\\x41\\x4a\\x4A', 'AJJ'],
    ['\\101\\0', 'A\x00'],
    ['\\xff\\x0', '\xff\x00'],
    ['\\u{e9}\\u{1F600}', '\xc3\xa9\xf0\x9f\x98\x80'],
    ['é', '\xc3\xa9'],
    ['\\$x \\"q\\" \\\\', '$x "q" \\'],
    ['\\q \\x', '\\q \\x'],
  ];
  for (const [body, bytes] of rows) {
    it(`"${body}" holds ${JSON.stringify(bytes)}`, () => expect(doubleQuotedBytes(body)).to.equal(bytes));
  }

  it('in a heredoc \\" is not an escape', () => expect(doubleQuotedBytes('\\"', { heredoc: true })).to.equal('\\"'));

  it('bytesLiteral: ASCII as is, UTF-8 text as $u8(…), other bytes as \\x escapes', () => {
    expect(bytesLiteral("it's")).to.deep.equal(["'it\\'s'", null]);
    expect(bytesLiteral(utf8Bytes('café'))).to.deep.equal(["$u8('café')", '$u8']);
    expect(bytesLiteral('\xff\x00')).to.deep.equal(["'\\xff\\x00'", null]);
  });

  it('isUtf8, jsQuote and templatePiece', () => {
    expect(isUtf8('\xc3\xa9')).to.equal(true);
    expect(isUtf8('\xe9')).to.equal(false);
    expect(jsQuote('é\n')).to.equal("'\\xe9\\n'");
    expect(jsQuote('é', { text: true })).to.equal("'é'");
    expect(templatePiece("a`b${c}'")).to.equal("a\\`b\\${c}'");
  });
});
