import { isIPv4, isIPv6 } from 'node:net';

/**
 * The AllowedClients / BlockedClients settings: which remote addresses may connect.
 *
 * A list is comma-separated; each entry is trimmed and empty entries are skipped. Accepted entries:
 * - `*` — every address.
 * - An IPv4 address in dotted-quad form: `192.168.1.10` (no leading zeros, each part 0–255).
 * - An IPv4 pattern with whole-octet wildcards in any position: `192.168.*.*`, `10.*.*.1`.
 * - An IPv4 CIDR block: `10.0.0.0/8` (prefix 0–32; host bits set in the address are ignored).
 * - An IPv6 address in any textual form: full, compressed, with embedded IPv4, with a zone (`%eth0`,
 *   ignored), or in brackets (`[::1]`).
 * - An IPv6 CIDR block: `2001:db8::/32` (prefix 0–128).
 * - A host name (letters, digits, '-', '_', dots, at most 253 characters, optional trailing dot).
 *
 * Matching is numeric, so every IPv6 spelling of an address is the same address. An IPv4-mapped IPv6
 * address (`::ffff:1.2.3.4`, also written `::ffff:102:304`) is treated as the IPv4 address, both as an
 * entry and as the remote address; an IPv6 CIDR inside `::ffff:0:0/96` becomes the matching IPv4 block.
 * Other IPv6 blocks, even `::/0`, match only IPv6 addresses.
 *
 * A host name entry matches the addresses it resolves to: the engine looks every name up (all
 * addresses, see client-names.ts) when listening starts and when the setting changes, and hands the
 * result to `resolved()`. Until then a name matches no address (`pending` names it), except that
 * `localhost` always matches loopback (127.0.0.0/8 or ::1). There is no reverse lookup of the client's
 * address; a name also matches when it equals (ignoring case and a trailing dot) one of the `names`
 * passed to matches().
 */
export interface ClientList {
  /** The entries as written (trimmed), in order. */
  readonly entries: readonly string[];
  /** The host name entries (lower case, without a trailing dot), each once. */
  readonly hostNames: readonly string[];
  /** True while some host name has never been resolved for this list (its lookup is running). */
  readonly pending: boolean;
  /** True when `address` (or one of its resolved `names`) matches an entry. */
  matches(address: string, names?: readonly string[]): boolean;
  /**
   * A lookup of `name` finished: it now matches `addresses` (ones that are not IP addresses are
   * ignored). `null` is a lookup that failed: the name keeps what it resolved to before, if anything.
   */
  resolved(name: string, addresses: readonly string[] | null): void;
  /** Whether a lookup of `name` has finished for this list (successfully or not). */
  isResolved(name: string): boolean;
  /** The addresses `name` matches now (for specs, logs and operators), in textual form. */
  addressesOf(name: string): readonly string[];
  /** Takes over what `previous` resolved for the names both lists have, so a changed list has no gap for them. */
  adopt(previous: ClientList): void;
}

/** An address reduced to numbers: IPv4 as one unsigned 32-bit value, IPv6 as eight 16-bit groups. */
type Address = { family: 4; value: number } | { family: 6; groups: readonly number[] };

type Rule =
  | { kind: 'any' }
  | { kind: 'v4'; value: number; mask: number }
  | { kind: 'v6'; groups: readonly number[]; prefix: number }
  | { kind: 'name'; name: string };

const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const PREFIX = /^(?:0|[1-9]\d{0,2})$/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
const ALL_DIGITS = /^\d+$/;

/**
 * Parses an AllowedClients / BlockedClients value. '' (or only commas and blanks) gives an empty list that
 * matches nothing. Throws TypeError naming the first invalid entry.
 */
export function parseClientList(text: string): ClientList {
  const entries: string[] = [];
  const rules: Rule[] = [];
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const rule = parseEntry(entry);
    if (rule === null) throw new TypeError(`Invalid client list entry '${entry}'`);
    entries.push(entry);
    rules.push(rule);
  }
  return new RuleList(Object.freeze(entries), rules);
}

/**
 * ConnectionRequest's default `accept`. Both lists fail closed while a host name in them is still
 * being looked up:
 * - AllowedClients non-empty: false unless the address matches (an unresolved name matches nothing);
 * - BlockedClients: false when the address matches, and also while a name of the list is pending —
 *   the client might be that host, and a block list that lets a blocked host in is no block list;
 * - true otherwise.
 * The application's ConnectionRequest handler still sees the event and may set `accept` back.
 */
export function defaultAccept(address: string, allowed: ClientList, blocked: ClientList): boolean {
  if (allowed.entries.length > 0 && !allowed.matches(address)) return false;
  return !blocked.matches(address) && !blocked.pending;
}

class RuleList implements ClientList {
  readonly hostNames: readonly string[];
  /** What each host name resolved to; a name without an entry was never resolved. */
  private readonly resolutions = new Map<string, { addresses: readonly Address[]; texts: readonly string[] }>();

  constructor(
    readonly entries: readonly string[],
    private readonly rules: readonly Rule[],
  ) {
    const names = new Set<string>();
    for (const rule of rules) if (rule.kind === 'name') names.add(rule.name);
    this.hostNames = Object.freeze([...names]);
  }

  get pending(): boolean {
    for (const name of this.hostNames) if (!this.resolutions.has(name)) return true;
    return false;
  }

  matches(address: string, names?: readonly string[]): boolean {
    if (this.rules.length === 0) return false;
    const parsed = parseAddress(address);
    for (const rule of this.rules) {
      if (this.matchesRule(rule, parsed, names)) return true;
    }
    return false;
  }

  resolved(name: string, addresses: readonly string[] | null): void {
    const key = normaliseName(name);
    if (!this.hostNames.includes(key)) return;
    if (addresses === null) {
      // A failed lookup: what the name resolved to before stays (stale is better than nothing); a name
      // never resolved now matches nothing and is no longer pending.
      if (!this.resolutions.has(key)) this.resolutions.set(key, { addresses: [], texts: [] });
      return;
    }
    const parsed: Address[] = [];
    const texts: string[] = [];
    for (const text of addresses) {
      const address = parseAddress(text);
      if (address === null) continue;
      parsed.push(address);
      texts.push(text);
    }
    this.resolutions.set(key, { addresses: parsed, texts });
  }

  addressesOf(name: string): readonly string[] {
    return this.resolutions.get(normaliseName(name))?.texts ?? [];
  }

  adopt(previous: ClientList): void {
    for (const name of this.hostNames) {
      if (!previous.isResolved(name)) continue;
      this.resolved(name, previous.addressesOf(name));
    }
  }

  isResolved(name: string): boolean {
    return this.resolutions.has(normaliseName(name));
  }

  private matchesRule(rule: Rule, address: Address | null, names: readonly string[] | undefined): boolean {
    switch (rule.kind) {
      case 'any':
        return true;
      case 'v4':
        return address !== null && matchesV4(rule, address);
      case 'v6':
        return address !== null && matchesV6(rule, address);
      case 'name': {
        if (address !== null) {
          if (rule.name === 'localhost' && isLoopback(address)) return true;
          const resolution = this.resolutions.get(rule.name);
          if (resolution !== undefined) {
            for (const known of resolution.addresses) if (sameAddress(known, address)) return true;
          }
        }
        if (names !== undefined) {
          for (const name of names) {
            if (normaliseName(name) === rule.name) return true;
          }
        }
        return false;
      }
    }
  }
}

function matchesV4(rule: { value: number; mask: number }, address: Address): boolean {
  return address.family === 4 && ((address.value & rule.mask) >>> 0) === rule.value;
}

function matchesV6(rule: { groups: readonly number[]; prefix: number }, address: Address): boolean {
  return address.family === 6 && prefixEquals(address.groups, rule.groups, rule.prefix);
}

function sameAddress(a: Address, b: Address): boolean {
  if (a.family === 4) return b.family === 4 && a.value === b.value;
  return b.family === 6 && prefixEquals(a.groups, b.groups, 128);
}

function isLoopback(address: Address): boolean {
  if (address.family === 4) return address.value >>> 24 === 127;
  const groups = address.groups;
  for (let i = 0; i < 7; i++) {
    if (groups[i] !== 0) return false;
  }
  return groups[7] === 1;
}

/** True when the first `prefix` bits of both addresses agree. */
function prefixEquals(a: readonly number[], b: readonly number[], prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; i < 8 && bits > 0; i++) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
    bits -= 16;
  }
  return true;
}

function parseEntry(entry: string): Rule | null {
  if (entry === '*') return { kind: 'any' };
  const slash = entry.indexOf('/');
  if (slash !== -1) return parseCidr(entry.slice(0, slash), entry.slice(slash + 1));
  if (entry.includes('*')) return parseWildcard(entry);
  const address = parseAddress(entry);
  if (address !== null) {
    return address.family === 4
      ? { kind: 'v4', value: address.value, mask: 0xffffffff }
      : { kind: 'v6', groups: address.groups, prefix: 128 };
  }
  return parseHostName(entry);
}

function parseCidr(base: string, prefixText: string): Rule | null {
  if (!PREFIX.test(prefixText)) return null;
  const prefix = Number(prefixText);
  // A zone or brackets make no sense on a network block.
  if (base.includes('%') || base.includes('[')) return null;
  if (isIPv4(base)) {
    if (prefix > 32) return null;
    return v4Block(ipv4Value(base), prefix);
  }
  if (!isIPv6(base) || prefix > 128) return null;
  const groups = ipv6Groups(base);
  if (prefix >= 96 && isMappedV4(groups)) return v4Block(mappedValue(groups), prefix - 96);
  return { kind: 'v6', groups, prefix };
}

function v4Block(value: number, prefix: number): Rule {
  // `<< 32` is a no-op in JS, so /0 is spelled out.
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { kind: 'v4', value: (value & mask) >>> 0, mask };
}

/** 'a.b.c.d' where any part may be '*' (a whole octet). */
function parseWildcard(entry: string): Rule | null {
  const parts = entry.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  let mask = 0;
  for (const part of parts) {
    value = value * 256;
    mask = mask * 256;
    if (part === '*') continue;
    if (!OCTET.test(part)) return null;
    value += Number(part);
    mask += 0xff;
  }
  return { kind: 'v4', value: value >>> 0, mask: mask >>> 0 };
}

function parseHostName(entry: string): Rule | null {
  const name = normaliseName(entry);
  if (name.length === 0 || name.length > 253) return null;
  const labels = name.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) return null;
  }
  // An all-numeric last label would read as a (bad) IPv4 address, e.g. '1.2.3' or '256.1.1.1'.
  if (ALL_DIGITS.test(labels[labels.length - 1] ?? '')) return null;
  return { kind: 'name', name };
}

function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** A remote address (or an address entry) as numbers; IPv4-mapped IPv6 becomes IPv4. Null if not an IP. */
function parseAddress(text: string): Address | null {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (isIPv4(address)) return { family: 4, value: ipv4Value(address) };
  if (!isIPv6(address)) return null;
  // The zone names an interface, not part of the address.
  const percent = address.indexOf('%');
  if (percent !== -1) address = address.slice(0, percent);
  const groups = ipv6Groups(address);
  if (isMappedV4(groups)) return { family: 4, value: mappedValue(groups) };
  return { family: 6, groups };
}

/** A valid dotted quad → unsigned 32-bit value. */
function ipv4Value(text: string): number {
  let value = 0;
  for (const part of text.split('.')) value = value * 256 + Number(part);
  return value;
}

/** ::ffff:0:0/96 (RFC 4291 §2.5.5.2). */
function isMappedV4(groups: readonly number[]): boolean {
  for (let i = 0; i < 5; i++) {
    if (groups[i] !== 0) return false;
  }
  return groups[5] === 0xffff;
}

function mappedValue(groups: readonly number[]): number {
  return (((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0;
}

/**
 * Expands a valid IPv6 address (already checked with isIPv6, zone removed) into eight groups:
 * '::' stands for as many zero groups as are missing, and a trailing dotted quad fills two groups.
 */
function ipv6Groups(text: string): number[] {
  const head: number[] = [];
  const tail: number[] = [];
  const doubleColon = text.indexOf('::');
  if (doubleColon === -1) {
    appendGroups(text, head);
  } else {
    appendGroups(text.slice(0, doubleColon), head);
    appendGroups(text.slice(doubleColon + 2), tail);
  }
  const groups = head.slice();
  while (groups.length + tail.length < 8) groups.push(0);
  for (const group of tail) groups.push(group);
  return groups;
}

function appendGroups(text: string, out: number[]): void {
  if (text === '') return;
  for (const part of text.split(':')) {
    if (part.includes('.')) {
      const value = ipv4Value(part);
      out.push(value >>> 16, value & 0xffff);
    } else {
      out.push(Number.parseInt(part, 16));
    }
  }
}
