// PHP string literals as the bytes PHP holds for them, and those bytes as a JavaScript literal.
// The parser hands over each literal's raw text; only the escapes of that one token are read here.

const SIMPLE_ESCAPES = { n: 10, t: 9, r: 13, v: 11, e: 27, f: 12, '\\': 92, $: 36, '"': 34 };
const isOctal = (c) => c >= '0' && c <= '7';
const isHex = (c) => /^[0-9a-fA-F]$/.test(c);

/** The bytes of a source fragment written in UTF-8, one char per byte. */
export function utf8Bytes(text) {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** The bytes of a double-quoted (or heredoc) body: PHP's escapes, other chars as their UTF-8 bytes. */
export function doubleQuotedBytes(body, { heredoc = false } = {}) {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      const ch = String.fromCodePoint(body.codePointAt(i));
      if (ch.length === 2) i++;
      out += utf8Bytes(ch);
      continue;
    }
    const n = body[i + 1];
    if (n in SIMPLE_ESCAPES && !(heredoc && n === '"')) {
      out += String.fromCharCode(SIMPLE_ESCAPES[n]);
      i++;
    } else if (isOctal(n)) {
      let j = i + 1;
      let digits = '';
      while (j < body.length && digits.length < 3 && isOctal(body[j])) digits += body[j++];
      out += String.fromCharCode(parseInt(digits, 8) & 0xff);
      i = j - 1;
    } else if (n === 'x' && isHex(body[i + 2] ?? '')) {
      let digits = body[i + 2];
      if (isHex(body[i + 3] ?? '')) digits += body[i + 3];
      out += String.fromCharCode(parseInt(digits, 16));
      i += 1 + digits.length;
    } else if (n === 'u' && body[i + 2] === '{') {
      const end = body.indexOf('}', i + 3);
      out += utf8Bytes(String.fromCodePoint(parseInt(body.slice(i + 3, end), 16)));
      i = end;
    } else {
      out += '\\';
    }
  }
  return out;
}

/** Are these bytes (one char per byte) valid UTF-8? */
export function isUtf8(bytes) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(bytes, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/** A JavaScript single-quoted literal; chars 0x80-0xFF are escaped as bytes unless `text` says they are text. */
export function jsQuote(s, { text = false } = {}) {
  let out = "'";
  for (const ch of s) {
    const code = ch.codePointAt(0);
    if (ch === "'") out += "\\'";
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (!text && code >= 0x80 && code <= 0xff) out += `\\x${code.toString(16)}`;
    else out += ch;
  }
  return `${out}'`;
}

/**
 * The JavaScript expression for these bytes: a plain literal when they are ASCII, `$u8('text')` when
 * they are UTF-8 text (so the port reads like the script), else a literal with one \xNN per byte.
 * Returns [code, helperUsed].
 */
export function bytesLiteral(bytes) {
  if (!/[^\x00-\x7f]/.test(bytes)) return [jsQuote(bytes), null];
  if (isUtf8(bytes)) {
    const text = Buffer.from(bytes, 'latin1').toString('utf8');
    if (!/[\x00-\x08\x0e-\x1f\x7f-\x9f]/.test(text)) return [`$u8(${jsQuote(text, { text: true })})`, '$u8'];
  }
  return [jsQuote(bytes), null];
}

/** A piece of a template literal (between backticks) for ASCII bytes. */
export function templatePiece(bytes) {
  return jsQuote(bytes).slice(1, -1).replace(/\\'/g, "'").replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}
