/**
 * IP addresses as text, strictly: what a PROXY protocol v1 line may carry, and the binary addresses of
 * a v2 header written the way Node shows a socket's remoteAddress (RFC 5952 for IPv6, dotted quads for
 * IPv4 and for IPv4-mapped IPv6), so that RemoteHost reads the same whether it came from the socket or
 * from a proxy. Pure computation: lib/protocol takes no I/O module, so node:net's isIP is not used here.
 */

/** One decimal number 0–255 with no leading zero ("0" itself is fine): no octal readings. */
const OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** A dotted quad as four bytes, or null when it is not exactly one (no leading zeros, no blanks). */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!OCTET.test(part)) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

/**
 * An IPv6 address in text as sixteen bytes, or null. Groups of one to four hex digits, at most one
 * "::" standing for at least one zero group, an optional trailing dotted quad; no zone, no brackets.
 */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const double = text.indexOf('::');
  if (double !== -1 && text.indexOf('::', double + 1) !== -1) return null;
  const head = double === -1 ? text : text.slice(0, double);
  const tail = double === -1 ? '' : text.slice(double + 2);
  const headGroups = groupsOf(head);
  const tailGroups = groupsOf(tail);
  if (headGroups === null || tailGroups === null) return null;
  // The dotted quad may only end the address.
  if (double !== -1 && tail === '' && headGroups.dotted) return null;
  const count = headGroups.values.length + tailGroups.values.length;
  if (double === -1 ? count !== 8 : count > 7) return null;
  const bytes = new Uint8Array(16);
  headGroups.values.forEach((value, i) => writeGroup(bytes, i, value));
  const tailStart = 8 - tailGroups.values.length;
  tailGroups.values.forEach((value, i) => writeGroup(bytes, tailStart + i, value));
  return bytes;
}

/** The groups of one side of "::" ('' has none); a dotted quad counts as two, and only at the end. */
function groupsOf(text: string): { values: number[]; dotted: boolean } | null {
  if (text === '') return { values: [], dotted: false };
  const parts = text.split(':');
  const values: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.includes('.')) {
      if (i !== parts.length - 1) return null;
      const quad = parseIPv4(part);
      if (quad === null) return null;
      values.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
      return { values, dotted: true };
    }
    if (!HEX_GROUP.test(part)) return null;
    values.push(Number.parseInt(part, 16));
  }
  return { values, dotted: false };
}

function writeGroup(bytes: Uint8Array, index: number, value: number): void {
  bytes[index * 2] = value >> 8;
  bytes[index * 2 + 1] = value & 0xff;
}

/** Four bytes as a dotted quad. */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** True for ::ffff:0:0/96 (RFC 4291 §2.5.5.2), sixteen bytes from `offset`. */
export function isIPv4Mapped(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}

/**
 * Sixteen bytes as RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero
 * groups (the first of equal runs) as "::". IPv4-mapped addresses are given as their IPv4 address,
 * as the engine shows IPv4 clients on a dual-stack socket.
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  if (isIPv4Mapped(bytes, offset)) return formatIPv4(bytes, offset + 12);
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((group) => group.toString(16)).join(':');
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
