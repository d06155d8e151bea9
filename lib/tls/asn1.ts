/**
 * Just enough ASN.1 to walk certificates and PKCS#12 files: a reader for DER (X.690 §10) that also
 * accepts the BER forms PKCS#12 producers still emit (indefinite lengths, constructed OCTET STRINGs).
 * Nothing here allocates beyond the element list: contents are views into the input buffer.
 */

/** Universal tags used by the certificate and PKCS#12 code. */
export const Tag = Object.freeze({
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  Sequence: 0x30,
  Set: 0x31,
  PrintableString: 0x13,
  T61String: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BmpString: 0x1e,
  /** Context-specific [0], constructed (EXPLICIT [0] or an IMPLICIT constructed type). */
  Context0: 0xa0,
  /** Context-specific [0], primitive (IMPLICIT OCTET STRING). */
  Context0Primitive: 0x80,
} as const);

/** Thrown for input that is not well-formed ASN.1 or not the structure expected. */
export class Asn1Error extends Error {
  override name = 'Asn1Error';
}

/** One element: its identifier octet, its content, and where it ends in the input. */
export interface Element {
  readonly tag: number;
  /** The content octets (for an indefinite-length element: everything up to the end-of-contents marker). */
  readonly content: Buffer;
  /** The whole element, header included (what a signature or a MAC covers). */
  readonly raw: Buffer;
  /** True for a constructed element (bit 6 of the identifier octet). */
  readonly constructed: boolean;
}

/** Reads the element that starts at `offset`. */
export function readElement(input: Buffer, offset = 0): Element {
  if (offset + 2 > input.length) throw new Asn1Error('truncated element header');
  const tag = input[offset]!;
  // X.690 §8.1.2.4: a low tag number of 31 means a multi-byte tag; nothing we read uses one.
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('high tag numbers are not supported');
  let pos = offset + 1;
  const first = input[pos++]!;
  const constructed = (tag & 0x20) !== 0;
  if (first === 0x80) {
    // X.690 §8.1.3.6: the indefinite form, constructed only, ended by two zero octets.
    if (!constructed) throw new Asn1Error('indefinite length on a primitive element');
    const start = pos;
    while (true) {
      if (pos + 2 > input.length) throw new Asn1Error('missing end-of-contents');
      if (input[pos] === 0 && input[pos + 1] === 0) break;
      pos += readElement(input, pos).raw.length;
    }
    return { tag, constructed, content: input.subarray(start, pos), raw: input.subarray(offset, pos + 2) };
  }
  let length = first;
  if (first & 0x80) {
    // X.690 §8.1.3.5: the long form, (first & 0x7f) length octets follow.
    const count = first & 0x7f;
    if (count > 4 || pos + count > input.length) throw new Asn1Error('unsupported or truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
  }
  if (pos + length > input.length) throw new Asn1Error('element runs past the end of its container');
  return { tag, constructed, content: input.subarray(pos, pos + length), raw: input.subarray(offset, pos + length) };
}

/** The elements inside a constructed element (or inside a buffer holding a series of elements). */
export function children(parent: Element | Buffer): Element[] {
  const content = Buffer.isBuffer(parent) ? parent : parent.content;
  const list: Element[] = [];
  let pos = 0;
  while (pos < content.length) {
    const element = readElement(content, pos);
    list.push(element);
    pos += element.raw.length;
  }
  return list;
}

/** Reads one element and checks its tag. */
export function expect(element: Element | undefined, tag: number, what: string): Element {
  if (!element) throw new Asn1Error(`${what} is missing`);
  // A constructed OCTET STRING (BER) stands where a primitive one is expected.
  if (element.tag !== tag && !(tag === Tag.OctetString && element.tag === (Tag.OctetString | 0x20))) {
    throw new Asn1Error(`${what}: expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

/** The octets of an OCTET STRING, joining the pieces of a constructed (BER) one. */
export function octets(element: Element): Buffer {
  if (!element.constructed) return element.content;
  const parts: Buffer[] = [];
  for (const part of children(element)) parts.push(octets(part));
  return Buffer.concat(parts);
}

/** An OBJECT IDENTIFIER in dotted form (X.690 §8.19). */
export function oid(element: Element): string {
  const bytes = expect(element, Tag.Oid, 'object identifier').content;
  if (bytes.length === 0) throw new Asn1Error('empty object identifier');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        // §8.19.4: the first subidentifier packs the first two arcs.
        const top = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(top, value - top * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  return arcs.join('.');
}

/** A small non-negative INTEGER (iteration counts, versions). */
export function smallInteger(element: Element): number {
  const bytes = expect(element, Tag.Integer, 'integer').content;
  if (bytes.length === 0 || bytes.length > 6 || (bytes[0]! & 0x80) !== 0) throw new Asn1Error('integer out of range');
  let value = 0;
  for (let i = 0; i < bytes.length; i++) value = value * 256 + bytes[i]!;
  return value;
}

/** The text of a string type, decoded according to its tag. */
export function text(element: Element): string {
  const bytes = element.content;
  switch (element.tag) {
    case Tag.BmpString:
      return decodeUtf16be(bytes);
    case Tag.UniversalString: {
      let out = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) out += String.fromCodePoint(bytes.readUInt32BE(i));
      return out;
    }
    case Tag.T61String:
      // Teletex is in practice used for Latin-1 text.
      return bytes.toString('latin1');
    default:
      return bytes.toString('utf8');
  }
}

function decodeUtf16be(bytes: Buffer): string {
  const swapped = Buffer.from(bytes.subarray(0, bytes.length & ~1));
  swapped.swap16();
  return swapped.toString('utf16le');
}
