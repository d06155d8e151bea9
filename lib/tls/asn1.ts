/**
 * Just enough ASN.1 to walk certificates and PKCS#12 files: a reader for DER (X.690 §10) that also
 * accepts the BER forms PKCS#12 producers still emit (indefinite lengths, constructed OCTET STRINGs).
 * Contents are views into the input buffer, made when asked for; lists can be walked one element at
 * a time (`elements`), so the memory a hostile file costs does not grow with its element count.
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

/** Thrown for input that is well-formed but over one of the reader's caps (Asn1Limits). */
export class Asn1LimitError extends Asn1Error {
  override name = 'Asn1LimitError';
}

/**
 * The reader's own caps. Nesting is capped because the BER forms recurse: an indefinite length is
 * found by reading every element inside it, and a constructed OCTET STRING is joined piece by piece,
 * so a few bytes per level would otherwise buy a stack overflow, and every level read again. Real
 * PKCS#12 and certificate encodings nest fewer than ten indefinite or constructed levels.
 */
export const Asn1Limits = Object.freeze({
  /** Indefinite-length elements inside one another, and constructed strings inside one another. */
  maxDepth: 32,
} as const);

/**
 * One element: its identifier octet, where its content lies in the input, and where it ends.
 * `content` and `raw` are views made on demand, so a long list of elements costs one small object
 * each (a flat 2 MiB DER holds a million of them).
 */
export class Element {
  constructor(
    readonly tag: number,
    /** True for a constructed element (bit 6 of the identifier octet). */
    readonly constructed: boolean,
    private readonly input: Buffer,
    private readonly start: number,
    private readonly contentStart: number,
    private readonly contentEnd: number,
    /** Where the element ends in the input (after the end-of-contents octets of an indefinite length). */
    readonly end: number,
  ) {}

  /** The content octets (for an indefinite-length element: everything up to the end-of-contents marker). */
  get content(): Buffer {
    return this.input.subarray(this.contentStart, this.contentEnd);
  }

  /** The whole element, header included (what a signature or a MAC covers). */
  get raw(): Buffer {
    return this.input.subarray(this.start, this.end);
  }

  /** The size of the whole element in bytes. */
  get size(): number {
    return this.end - this.start;
  }

  /** The number of content octets. */
  get contentLength(): number {
    return this.contentEnd - this.contentStart;
  }
}

/** Reads the element that starts at `offset`. */
export function readElement(input: Buffer, offset = 0): Element {
  return readAt(input, offset, 0);
}

function readAt(input: Buffer, offset: number, depth: number): Element {
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
    if (depth >= Asn1Limits.maxDepth) {
      throw new Asn1LimitError(`indefinite-length elements nest deeper than the cap of ${Asn1Limits.maxDepth} levels (Asn1Limits.maxDepth)`);
    }
    const start = pos;
    while (true) {
      if (pos + 2 > input.length) throw new Asn1Error('missing end-of-contents');
      if (input[pos] === 0 && input[pos + 1] === 0) break;
      pos = readAt(input, pos, depth + 1).end;
    }
    return new Element(tag, constructed, input, offset, start, pos, pos + 2);
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
  return new Element(tag, constructed, input, offset, pos, pos + length, pos + length);
}

/**
 * The elements inside a constructed element (or inside a buffer holding a series of elements), one
 * at a time: nothing is kept, so a caller that stops early (or destructures the first few) reads no
 * further, and a caller that counts can stop a long list at its own cap.
 */
export function* elements(parent: Element | Buffer): Generator<Element, void, undefined> {
  const content = Buffer.isBuffer(parent) ? parent : parent.content;
  let pos = 0;
  while (pos < content.length) {
    const element = readElement(content, pos);
    pos = element.end;
    yield element;
  }
}

/** The elements inside a constructed element, as a list (for the short structures of a certificate). */
export function children(parent: Element | Buffer): Element[] {
  return [...elements(parent)];
}

/** The first `count` elements inside `parent` (fewer if it has fewer); nothing after them is read. */
export function fields(parent: Element | Buffer, count: number): Element[] {
  const list: Element[] = [];
  if (count <= 0) return list;
  for (const element of elements(parent)) {
    list.push(element);
    if (list.length === count) break;
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

/**
 * The octets of an OCTET STRING, joining the pieces of a constructed (BER) one: measured first and
 * copied once, so a string in a million pieces costs its length, not a million buffers.
 */
export function octets(element: Element): Buffer {
  if (!element.constructed) return element.content;
  const out = Buffer.allocUnsafe(piecesLength(element, 0));
  copyPieces(element, out, 0);
  return out;
}

function piecesLength(element: Element, depth: number): number {
  if (!element.constructed) return element.contentLength;
  if (depth >= Asn1Limits.maxDepth) {
    throw new Asn1LimitError(`constructed strings nest deeper than the cap of ${Asn1Limits.maxDepth} levels (Asn1Limits.maxDepth)`);
  }
  let total = 0;
  for (const part of elements(element)) {
    // X.690 §8.7.3.2: the pieces of a constructed OCTET STRING are OCTET STRINGs themselves.
    if ((part.tag & 0xdf) !== Tag.OctetString) throw new Asn1Error('a piece of a constructed OCTET STRING is not an OCTET STRING');
    total += piecesLength(part, depth + 1);
  }
  return total;
}

function copyPieces(element: Element, out: Buffer, at: number): number {
  if (!element.constructed) return at + element.content.copy(out, at);
  for (const part of elements(element)) at = copyPieces(part, out, at);
  return at;
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
