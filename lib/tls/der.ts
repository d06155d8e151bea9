/**
 * A strict DER reader (X.690 §10) for CRLs and certificate extensions: definite lengths in their
 * shortest form only, no indefinite or constructed-string BER. Unlike asn1.ts (which serves PKCS#12
 * and its BER) it builds no element lists: a CRL may list hundreds of thousands of serials, and
 * they are walked one at a time with `next`. Every element is a view into the input.
 */

/** Universal tags met in CRLs and extensions. */
export const DerTag = Object.freeze({
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Oid: 0x06,
  Enumerated: 0x0a,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const);

/** Input that is not DER, or not the structure expected. */
export class DerError extends Error {
  override readonly name = 'DerError';
}

/** One element: identifier octet, where its content lies, where the whole element ends. */
export interface Tlv {
  readonly tag: number;
  /** The whole element (header and content), for signatures and byte comparison. */
  readonly raw: Buffer;
  readonly content: Buffer;
}

/** Reads the element at `offset` of `input`; it must end within the input. */
export function readTlv(input: Buffer, offset = 0): Tlv {
  let pos = offset;
  if (pos + 2 > input.length) throw new DerError('truncated element');
  const tag = input[pos++]!;
  // High tag numbers (0x1f) never occur in the structures read here.
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag number');
  let length = input[pos++]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    // X.690 §10.1: the shortest form; 4 bytes are enough for any input held in memory.
    if (count === 0 || count > 4 || pos + count > input.length || input[pos] === 0) throw new DerError('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
    if (length < 0x80) throw new DerError('bad length');
  }
  if (pos + length > input.length) throw new DerError('truncated element');
  return { tag, raw: input.subarray(offset, pos + length), content: input.subarray(pos, pos + length) };
}

/** Walks the elements inside `content` one by one, without gathering them. */
export class DerCursor {
  private offset = 0;

  constructor(private readonly content: Buffer) {}

  get done(): boolean {
    return this.offset >= this.content.length;
  }

  /** The next element, or undefined at the end. */
  peek(): Tlv | undefined {
    return this.done ? undefined : readTlv(this.content, this.offset);
  }

  /** The next element; `tag` when given must match. */
  next(tag?: number, what = 'element'): Tlv {
    if (this.done) throw new DerError(`${what} missing`);
    const element = readTlv(this.content, this.offset);
    if (tag !== undefined && element.tag !== tag) throw new DerError(`${what}: tag 0x${element.tag.toString(16)} instead of 0x${tag.toString(16)}`);
    this.offset += element.raw.length;
    return element;
  }

  /** The next element if it has `tag`, else undefined (nothing consumed). */
  optional(tag: number): Tlv | undefined {
    const element = this.peek();
    if (element?.tag !== tag) return undefined;
    this.offset += element.raw.length;
    return element;
  }
}

/** The elements of a constructed element's content. */
export function cursor(element: Tlv): DerCursor {
  return new DerCursor(element.content);
}

/** An OBJECT IDENTIFIER in dotted form (X.690 §8.19). */
export function derOid(element: Tlv): string {
  if (element.tag !== DerTag.Oid || element.content.length === 0) throw new DerError('not an OID');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of element.content) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        const top = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(top, value - top * 40);
      } else arcs.push(value);
      value = 0;
    }
  }
  if (element.content[element.content.length - 1]! & 0x80) throw new DerError('OID cut short');
  return arcs.join('.');
}

/** A UTCTime or GeneralizedTime in the Z form RFC 5280 §4.1.2.5 requires, as a Date. */
export function derTime(element: Tlv): Date {
  const text = element.content.toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === DerTag.UtcTime && (match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    // RFC 5280: YY of 50 and above is 19YY, below 50 is 20YY.
    year = Number(match[1]) + (Number(match[1]) >= 50 ? 1900 : 2000);
  } else if (element.tag === DerTag.GeneralizedTime && (match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    year = Number(match[1]);
  } else throw new DerError(`bad time ${JSON.stringify(text)}`);
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new DerError(`bad time ${JSON.stringify(text)}`);
  return date;
}

/** A non-negative INTEGER's magnitude as upper-case hex without leading zeros ('0' for zero): serials. */
export function derIntegerHex(element: Tlv): string {
  if (element.tag !== DerTag.Integer || element.content.length === 0) throw new DerError('not an INTEGER');
  const hex = element.content.toString('hex').replace(/^0+/, '').toUpperCase();
  return hex === '' ? '0' : hex;
}

/** A BOOLEAN (DER: 0x00 or 0xff). */
export function derBoolean(element: Tlv): boolean {
  if (element.tag !== DerTag.Boolean || element.content.length !== 1) throw new DerError('not a BOOLEAN');
  return element.content[0] !== 0;
}
