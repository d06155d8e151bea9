/** A small DER writer for the specs that build PKCS#12 structures by hand (hostile files above all). */

/** One element: tag, definite length (short or long form), content. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

export const seq = (...content: Buffer[]) => tlv(0x30, ...content);
/** `count` copies of `element` side by side (for long flat sequences: seq(times(n, x))). */
export const times = (count: number, element: Buffer) => Buffer.concat(Array.from({ length: count }, () => element));
export const set = (...content: Buffer[]) => tlv(0x31, ...content);
export const octet = (bytes: Buffer | string) => tlv(0x04, typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : bytes);
export const nul = () => Buffer.from([0x05, 0x00]);
/** [0] EXPLICIT (constructed). */
export const explicit0 = (...content: Buffer[]) => tlv(0xa0, ...content);

/** A non-negative INTEGER, minimal two's complement. */
export function int(value: number | bigint): Buffer {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return tlv(0x02, Buffer.from(hex, 'hex'));
}

/** An OBJECT IDENTIFIER from its dotted form (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const septets = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) septets.unshift((v & 0x7f) | 0x80);
    out.push(...septets);
  }
  return tlv(0x06, Buffer.from(out));
}

export const OIDS = Object.freeze({
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  sha1: '1.3.14.3.2.26',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
});

/** ContentInfo of type data around `content` (an OCTET STRING of it). */
export const dataInfo = (content: Buffer) => seq(oid(OIDS.data), explicit0(octet(content)));

/** MacData with a SHA-1 DigestInfo of zeros (never the right MAC). */
export const macData = (iterations: number | bigint) => seq(seq(seq(oid(OIDS.sha1), nul()), octet(Buffer.alloc(20))), octet('0102030405060708'), int(iterations));

/** PFX { version 3, authSafe data ContentInfo around `authenticatedSafe`, macData? }. */
export const pfx = (authenticatedSafe: Buffer, mac?: Buffer) => seq(int(3), dataInfo(authenticatedSafe), ...(mac ? [mac] : []));

/** pkcs-12PbeParams AlgorithmIdentifier (SHA-1 and 3DES). */
export const pkcs12Pbe = (iterations: number | bigint) => seq(oid(OIDS.pbeSha1TripleDes), seq(octet('0102030405060708'), int(iterations)));

/** PBES2 AlgorithmIdentifier: PBKDF2 (HMAC-SHA256) + AES-256-CBC. */
export const pbes2 = (iterations: number | bigint) =>
  seq(
    oid(OIDS.pbes2),
    seq(
      seq(oid(OIDS.pbkdf2), seq(octet('0102030405060708'), int(iterations), seq(oid(OIDS.hmacWithSha256), nul()))),
      seq(oid(OIDS.aes256Cbc), octet(Buffer.alloc(16))),
    ),
  );

/** An encryptedData ContentInfo with `algorithm` and 16 bytes of ciphertext. */
export const encryptedInfo = (algorithm: Buffer) =>
  seq(oid(OIDS.encryptedData), explicit0(seq(int(0), seq(oid(OIDS.data), algorithm, tlv(0x80, Buffer.alloc(16))))));

/** SafeBag { bagId, [0] value, attributes? }. */
export const bag = (type: string, value: Buffer, attributes?: Buffer) => seq(oid(type), explicit0(value), ...(attributes ? [attributes] : []));

/** A certBag holding `der` (not parsed by the PKCS#12 reader). */
export const certBag = (der: Buffer, attributes?: Buffer) => bag(OIDS.certBag, seq(oid(OIDS.x509Certificate), explicit0(octet(der))), attributes);

/** A pkcs8ShroudedKeyBag with `algorithm` and 16 bytes of ciphertext. */
export const shroudedKeyBag = (algorithm: Buffer) => bag(OIDS.shroudedKeyBag, seq(algorithm, octet(Buffer.alloc(16))));
