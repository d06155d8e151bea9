/**
 * The reference's value rules for properties and `Config` settings.
 *
 * "For boolean values, use the strings "True", "False", "0", "1", "Yes", or "No" (case does not matter)."
 * Integers are decimal, with an optional sign; flag settings (e.g. SSLSecurityFlags) are often written
 * in hexadecimal, so '0x…' is accepted as well.
 */
import { ErrorCode } from '../generated/api';
import { WSServerError } from './errors';

/**
 * Reads a boolean the way the reference does.
 *
 * Accepts `true`/`false`, the numbers 0 and 1, and the strings "True", "False", "0", "1", "Yes", "No"
 * in any case with surrounding whitespace. Anything else (including '2' or '') gives `undefined`.
 */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (value === 1) return true;
    if (value === 0) return false;
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  switch (value.trim().toLowerCase()) {
    case 'true':
    case 'yes':
    case '1':
      return true;
    case 'false':
    case 'no':
    case '0':
      return false;
    default:
      return undefined;
  }
}

const DECIMAL = /^[+-]?\d+$/;
const HEXADECIMAL = /^[+-]?0x[0-9a-f]+$/i;

/**
 * Reads an integer: a number that is a safe integer, or a string (trimmed) holding a decimal integer
 * with an optional sign, or '0x…' hexadecimal (optionally signed). Fractions, NaN, infinities, empty
 * strings, values beyond ±2^53−1 and everything else give `undefined`.
 */
export function parseInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  let result: number;
  if (DECIMAL.test(text)) {
    result = Number(text);
  } else if (HEXADECIMAL.test(text)) {
    // Number() does not take a signed hex literal, so the sign is applied by hand.
    const negative = text.startsWith('-');
    const digits = text.replace(/^[+-]?0x/i, '');
    result = Number.parseInt(digits, 16);
    if (negative) result = -result;
  } else {
    return undefined;
  }
  // Avoid -0 from '-0' so that results compare cleanly with ===.
  if (result === 0) return 0;
  return Number.isSafeInteger(result) ? result : undefined;
}

/** A property's integer value in [min, max] by these rules, or 605 (Invalid value) when it is not one. */
export function integerValue(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = parseInteger(value);
  if (n === undefined || n < min || n > max) throw new WSServerError(ErrorCode.InvalidValue);
  return n;
}

/** A property's boolean value by these rules, or 605 (Invalid value) when it is not one. */
export function booleanValue(value: unknown): boolean {
  const b = parseBoolean(value);
  if (b === undefined) throw new WSServerError(ErrorCode.InvalidValue);
  return b;
}

/** 'True' or 'False': what `Config("Name")` returns for a boolean setting. */
export function formatBoolean(value: boolean): string {
  return value ? 'True' : 'False';
}

/** One parsed `Config` string. `index` is present for per-connection settings, `value` for a set. */
export interface ConfigString {
  name: string;
  index?: string;
  value?: string;
}

const INDEX = /^\d+$/;

/**
 * Parses a `Config` argument: 'Name=Value' sets, 'Name' gets, 'Name[12]=Value' / 'Name[12]' address one
 * connection.
 *
 * The name (and the index inside the brackets) is trimmed; the value is everything after the FIRST '='
 * verbatim, so it may contain '=' and may be ''. Whitespace between ']' and '=' is allowed. Returns null
 * for a malformed string: an empty name, a name containing ']', a missing ']', an index that is not a
 * run of decimal digits ('Name[]', 'Name[x]', 'Name[-1]'), or anything after ']' other than the '='.
 */
export function parseConfigString(text: string): ConfigString | null {
  const equals = text.indexOf('=');
  const left = (equals === -1 ? text : text.slice(0, equals)).trim();
  const value = equals === -1 ? undefined : text.slice(equals + 1);

  let name: string;
  let index: string | undefined;
  const open = left.indexOf('[');
  if (open === -1) {
    name = left;
  } else {
    name = left.slice(0, open).trim();
    const close = left.indexOf(']', open + 1);
    // `left` is trimmed, so ']' must be its very last character: nothing may follow it but the '='.
    if (close !== left.length - 1) return null;
    index = left.slice(open + 1, close).trim();
    if (!INDEX.test(index)) return null;
  }
  if (name === '' || name.includes(']')) return null;

  const result: ConfigString = { name };
  if (index !== undefined) result.index = index;
  if (value !== undefined) result.value = value;
  return result;
}
