// PHP semantics that JavaScript does not share, as small functions. The translator copies the source
// of the ones a script uses (and the ones those use) to the end of the module it writes, so the port
// runs on wsserver-compat/compat alone; spec/php-runtime.spec.mjs checks each against php-cli.
//
// One rule for strings: a PHP string is bytes, so a ported script holds it as a JavaScript string with
// one char per byte (char code = byte value), the form the compat faces hand out binary data in. Text
// from outside (a literal with non-ASCII chars, a text property) is turned into its UTF-8 bytes where it
// enters ($u8), and bytes are written out as they are ($echo, $text, file_put_contents).
// Each function is self-contained apart from the helpers named in DEPENDS below and `$fs` (node:fs,
// imported by the port for the helpers in USES_FS): they are emitted as source text, so they must not
// close over anything else in this file.
import * as $fs from 'node:fs';

/** PHP's string conversion: null and false are '', true is '1', floats print with precision 14. */
export function $str(v) {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || v === false) return '';
  if (v === true) return '1';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return Object.is(v, -0) ? '-0' : String(v);
    if (Number.isNaN(v)) return 'NAN';
    if (!Number.isFinite(v)) return v > 0 ? 'INF' : '-INF';
    // %.14G: 14 significant digits, trailing zeros dropped, exponent form below 1e-4 and from 1e14 (an integral value is taken for a PHP int).
    const exp = Number(v.toExponential(13).split('e')[1]);
    if (exp < -4 || exp >= 14) {
      const [m, e] = v.toExponential(13).split('e');
      const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '.0') : `${m}.0`;
      return `${mant}E${Number(e) < 0 ? '-' : '+'}${Math.abs(Number(e))}`;
    }
    const fixed = v.toFixed(Math.max(0, 13 - exp));
    return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
  }
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  if (Array.isArray(v) || v instanceof Map) return 'Array';
  return String(v);
}

/** Is this string numeric for PHP 8 (leading and trailing whitespace allowed)? */
export function $isNumeric(s) {
  return typeof s === 'string' && /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$/.test(s);
}

/** A value as a number for arithmetic: numeric strings and their numeric prefix, as PHP 8 reads them. */
export function $num(v) {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined || v === false) return 0;
  if (v === true) return 1;
  if (typeof v === 'string') {
    const m = /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(v);
    if (m) return Number(m[0]);
    throw new TypeError('Unsupported operand types: string + int');
  }
  return Number(v);
}

/** PHP 8's loose comparison (==) for the scalars these scripts compare. */
export function $eq(a, b) {
  const scalar = (v) => v === null || v === undefined || typeof v !== 'object';
  if (!scalar(a) || !scalar(b)) {
    if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && $eq(v, b.get(k)));
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => $eq(v, b[i]));
    return a === b;
  }
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'boolean' || typeof b === 'boolean' || a === null || b === null) {
    if (a === null && typeof b === 'string') return b === '';
    if (b === null && typeof a === 'string') return a === '';
    return $bool(a) === $bool(b);
  }
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'string' && typeof b === 'string') {
    if ($isNumeric(a) && $isNumeric(b)) return Number(a) === Number(b);
    return a === b;
  }
  // A number and a string: numerically when the string is numeric, else as strings (PHP 8).
  const [n, s] = typeof a === 'number' ? [a, b] : [b, a];
  return $isNumeric(s) ? n === Number(s) : $str(n) === s;
}

/** PHP's truthiness: '' and '0', 0, empty arrays and null are false. */
export function $bool(v) {
  if (typeof v === 'string') return v !== '' && v !== '0';
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return Boolean(v);
}

/** echo / print: the bytes of each value, as they are (a char above U+00FF can only be text: UTF-8). */
export function $echo(...values) {
  for (const v of values) {
    const s = $str(v);
    process.stdout.write(/[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1'));
  }
}

/** A string for SendText: its bytes as a Buffer, which the compat faces send as they are. */
export function $text(v) {
  const s = $str(v);
  return /[^\x00-\xff]/.test(s) ? s : Buffer.from(s, 'latin1');
}

/** Text (a literal of the script, written in UTF-8) as the bytes PHP holds for it. */
export function $u8(s) {
  return Buffer.from(s, 'utf8').toString('latin1');
}

export function $strlen(s) {
  return $str(s).length;
}

export function $substr(s, start, length) {
  s = $str(s);
  const n = s.length;
  let from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
  let to = n;
  if (length !== undefined && length !== null) to = length < 0 ? n + length : from + length;
  return to <= from ? '' : s.slice(from, Math.min(to, n));
}

/** ASCII only, as PHP 8.2 does. */
export function $strtolower(s) {
  return $str(s).replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** ASCII only, as PHP 8.2 does. */
export function $strtoupper(s) {
  return $str(s).replace(/[a-z]+/g, (m) => m.toUpperCase());
}

export function $trim(s, chars = ' \t\n\r\0\x0B') {
  return $rtrim($ltrim(s, chars), chars);
}

export function $ltrim(s, chars = ' \t\n\r\0\x0B') {
  s = $str(s);
  let i = 0;
  while (i < s.length && chars.includes(s[i])) i++;
  return s.slice(i);
}

export function $rtrim(s, chars = ' \t\n\r\0\x0B') {
  s = $str(s);
  let i = s.length;
  while (i > 0 && chars.includes(s[i - 1])) i--;
  return s.slice(0, i);
}

export function $str_repeat(s, times) {
  return $str(s).repeat(times);
}

export function $explode(separator, s, limit = Number.MAX_SAFE_INTEGER) {
  separator = $str(separator);
  if (separator === '') throw new Error('explode(): Argument #1 ($separator) cannot be empty');
  const parts = $str(s).split(separator);
  if (limit > 0) return parts.length > limit ? [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(separator)] : parts;
  if (limit < 0) return parts.slice(0, limit);
  return [parts.join(separator)];
}

/** $implode(separator, array), and the legacy $implode(array, separator). */
export function $implode(separator, values) {
  if (values === undefined) [separator, values] = ['', separator];
  else if (typeof separator !== 'string' && typeof values === 'string') [separator, values] = [values, separator];
  const list = values instanceof Map ? [...values.values()] : Array.isArray(values) ? values : Object.values(values);
  return list.map($str).join(separator);
}

export function $count(v) {
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  throw new TypeError(`count(): Argument #1 ($value) must be of type Countable|array, ${v === null || v === undefined ? 'null' : typeof v} given`);
}

export function $empty(v) {
  return !$bool(v);
}

/** foreach over a PHP array held as a JavaScript array or a Map: [key, value] pairs. */
export function $entries(v) {
  if (v instanceof Map) return [...v.entries()];
  if (Array.isArray(v)) return [...v.entries()];
  return Object.entries(v ?? {});
}

export function $sprintf(format, ...args) {
  format = $str(format);
  let out = '';
  let next = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (format[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    let j = i + 1;
    let argnum = null;
    const posMatch = /^(\d+)\$/.exec(format.slice(j));
    if (posMatch) {
      argnum = Number(posMatch[1]) - 1;
      j += posMatch[0].length;
    }
    let left = false;
    let plus = false;
    let pad = ' ';
    for (;;) {
      const f = format[j];
      if (f === '-') left = true;
      else if (f === '+') plus = true;
      else if (f === '0') pad = '0';
      else if (f === ' ') pad = ' ';
      else if (f === "'") pad = format[++j];
      else break;
      j++;
    }
    let width = 0;
    while (format[j] >= '0' && format[j] <= '9') width = width * 10 + Number(format[j++]);
    let precision = null;
    if (format[j] === '.') {
      precision = 0;
      j++;
      while (format[j] >= '0' && format[j] <= '9') precision = precision * 10 + Number(format[j++]);
    }
    const spec = format[j];
    i = j;
    const arg = args[argnum ?? next++];
    const intOf = (v) => Math.trunc($num(v));
    // PHP rounds the exact binary value half to even (2.25 -> "2.2"); toFixed rounds half up.
    const fixed = (n, digits) => {
      if (!Number.isFinite(n) || Math.abs(n) >= 1e21) return n.toFixed(digits);
      const exact = Math.abs(n).toFixed(Math.min(100, digits + 60));
      const point = exact.indexOf('.');
      const keep = exact.slice(0, point + 1 + digits).replace(/\.$/, '');
      const rest = exact.slice(point + 1 + digits);
      const half = rest[0] === '5' && /^50*$/.test(rest);
      const lastDigit = Number(keep[keep.length - 1]);
      let out = keep;
      if (rest[0] > '5' || (rest[0] === '5' && !half) || (half && lastDigit % 2 === 1)) {
        const scaled = (BigInt(keep.replace('.', '')) + 1n).toString().padStart(keep.replace('.', '').length, '0');
        out = digits ? `${scaled.slice(0, scaled.length - digits) || '0'}.${scaled.slice(-digits)}` : scaled;
      }
      return (n < 0 || Object.is(n, -0) ? '-' : '') + out;
    };
    let s;
    switch (spec) {
      case 'd': {
        const n = intOf(arg);
        s = (plus && n >= 0 ? '+' : '') + String(n);
        break;
      }
      case 'u': {
        const n = intOf(arg);
        s = n < 0 ? String(BigInt.asUintN(64, BigInt(n))) : String(n);
        break;
      }
      case 'f':
      case 'F': {
        const n = $num(arg);
        s = (plus && n >= 0 ? '+' : '') + fixed(n, precision ?? 6);
        break;
      }
      case 'e':
      case 'E': {
        const n = $num(arg);
        const [m, e] = n.toExponential(precision ?? 6).split('e');
        s = (plus && n >= 0 ? '+' : '') + `${m}e${e.startsWith('-') ? '' : '+'}${e.replace(/^\+/, '')}`;
        if (spec === 'E') s = s.toUpperCase();
        break;
      }
      case 'x':
        s = (intOf(arg) < 0 ? BigInt.asUintN(64, BigInt(intOf(arg))) : intOf(arg)).toString(16);
        break;
      case 'X':
        s = (intOf(arg) < 0 ? BigInt.asUintN(64, BigInt(intOf(arg))) : intOf(arg)).toString(16).toUpperCase();
        break;
      case 'o':
        s = (intOf(arg) < 0 ? BigInt.asUintN(64, BigInt(intOf(arg))) : intOf(arg)).toString(8);
        break;
      case 'b':
        s = (intOf(arg) < 0 ? BigInt.asUintN(64, BigInt(intOf(arg))) : intOf(arg)).toString(2);
        break;
      case 'c':
        out += String.fromCharCode(intOf(arg) & 0xff);
        continue;
      case 's':
        s = $str(arg);
        if (precision !== null) s = s.slice(0, precision);
        break;
      default:
        throw new Error(`sprintf(): Unknown format specifier "${spec}"`);
    }
    if (s.length < width) {
      if (left) s = s + (pad === '0' ? ' ' : pad).repeat(width - s.length);
      else if (pad === '0' && /^[+-]/.test(s) && 'dfFeE'.includes(spec)) s = s[0] + '0'.repeat(width - s.length) + s.slice(1);
      else s = pad.repeat(width - s.length) + s;
    }
    out += s;
  }
  return out;
}

export function $printf(format, ...args) {
  const s = $sprintf(format, ...args);
  $echo(s);
  return s.length;
}

export function $time() {
  return Math.floor(Date.now() / 1000);
}

/** date() in UTC, PHP's zone when date.timezone is not set. */
export function $date(format, timestamp = Math.floor(Date.now() / 1000)) {
  const d = new Date(timestamp * 1000);
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const two = (n) => String(n).padStart(2, '0');
  const Y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const w = d.getUTCDay();
  const H = d.getUTCHours();
  const leap = (Y % 4 === 0 && Y % 100 !== 0) || Y % 400 === 0;
  const yday = Math.floor((Date.UTC(Y, m, day) - Date.UTC(Y, 0, 1)) / 86400000);
  const one = (ch) => {
    switch (ch) {
      case 'd': return two(day);
      case 'D': return days[w].slice(0, 3);
      case 'j': return String(day);
      case 'S': return day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th';
      case 'l': return days[w];
      case 'N': return String(w === 0 ? 7 : w);
      case 'w': return String(w);
      case 'z': return String(yday);
      case 'F': return months[m];
      case 'M': return months[m].slice(0, 3);
      case 'm': return two(m + 1);
      case 'n': return String(m + 1);
      case 't': return String(new Date(Date.UTC(Y, m + 1, 0)).getUTCDate());
      case 'L': return leap ? '1' : '0';
      case 'Y': return String(Y);
      case 'y': return two(Y % 100);
      case 'a': return H < 12 ? 'am' : 'pm';
      case 'A': return H < 12 ? 'AM' : 'PM';
      case 'g': return String(H % 12 || 12);
      case 'G': return String(H);
      case 'h': return two(H % 12 || 12);
      case 'H': return two(H);
      case 'i': return two(d.getUTCMinutes());
      case 's': return two(d.getUTCSeconds());
      case 'v': return String(d.getUTCMilliseconds()).padStart(3, '0');
      case 'u': return '000000';
      case 'e': return 'UTC';
      case 'T': return 'UTC';
      case 'P': return '+00:00';
      case 'p': return 'Z';
      case 'O': return '+0000';
      case 'Z': return '0';
      case 'I': return '0';
      case 'U': return String(timestamp);
      case 'c': return `${$date('Y-m-d', timestamp)}T${$date('H:i:s', timestamp)}+00:00`;
      case 'r': return $date('D, d M Y H:i:s O', timestamp);
      default: return ch;
    }
  };
  let out = '';
  for (let i = 0; i < format.length; i++) out += format[i] === '\\' && i + 1 < format.length ? format[++i] : one(format[i]);
  return out;
}

/** sleep() and usleep() cannot block Node: they wait, so the function that calls them is async. */
export function $sleep(seconds) {
  return new Promise((done) => setTimeout(() => done(0), seconds * 1000));
}

export function $usleep(microseconds) {
  return new Promise((done) => setTimeout(done, microseconds / 1000));
}

/** The file's bytes, one char per byte; false when it cannot be read, as in PHP. */
export function $file_get_contents(name) {
  try {
    return $fs.readFileSync($str(name)).toString('latin1');
  } catch {
    return false;
  }
}

export function $file_put_contents(name, data, flags = 0) {
  const bytes = Buffer.from(Array.isArray(data) ? data.map($str).join('') : $str(data), 'latin1');
  try {
    if (flags & 8) $fs.appendFileSync($str(name), bytes); // FILE_APPEND
    else $fs.writeFileSync($str(name), bytes);
    return bytes.length;
  } catch {
    return false;
  }
}

/** fgets(STDIN): one line with its newline, or false at the end of input; blocks, as PHP does. */
export function $fgetsStdin() {
  const one = Buffer.alloc(1);
  let line = '';
  for (;;) {
    let n;
    try {
      n = $fs.readSync(0, one, 0, 1, null);
    } catch (error) {
      if (error.code === 'EAGAIN') continue;
      if (error.code === 'EOF') n = 0;
      else throw error;
    }
    if (n === 0) return line === '' ? false : line;
    line += String.fromCharCode(one[0]);
    if (one[0] === 10) return line;
  }
}

/** The helpers that read or write files: the port imports node:fs as $fs for them. */
export const USES_FS = ['$file_get_contents', '$file_put_contents', '$fgetsStdin'];

/** Which helpers each helper calls: the translator emits those too. */
export const DEPENDS = {
  $str: [],
  $isNumeric: [],
  $num: [],
  $eq: ['$bool', '$isNumeric', '$str'],
  $bool: [],
  $echo: ['$str'],
  $text: ['$str'],
  $u8: [],
  $strlen: ['$str'],
  $substr: ['$str'],
  $strtolower: ['$str'],
  $strtoupper: ['$str'],
  $trim: ['$ltrim', '$rtrim'],
  $ltrim: ['$str'],
  $rtrim: ['$str'],
  $str_repeat: ['$str'],
  $explode: ['$str'],
  $implode: ['$str'],
  $count: [],
  $empty: ['$bool'],
  $entries: [],
  $sprintf: ['$num', '$str'],
  $printf: ['$sprintf', '$echo'],
  $time: [],
  $date: [],
  $sleep: [],
  $usleep: [],
  $file_get_contents: ['$str'],
  $file_put_contents: ['$str'],
  $fgetsStdin: [],
};
