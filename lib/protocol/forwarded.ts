/**
 * The chain of addresses a request passed through, as reverse proxies write it: the Forwarded header
 * (RFC 7239, its for= parameters) or the older X-Forwarded-For. Each gives hops in order, the client
 * first and the proxy nearest to us last. Parsing only: which hops to believe is the engine's decision
 * (lib/server/forwarded-client.ts, TrustedProxies). Malformed values give null, never a guess.
 */
import { isTokenChar } from './header-grammar';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-text';

/** One hop of the chain. */
export interface ForwardedHop {
  /** The address, written as Node writes socket addresses; null for "unknown", an obfuscated name or no for=. */
  address: string | null;
  /** The port when the hop gives a numeric one (Forwarded only), else null. */
  port: number | null;
}

const OBFUSCATED = /^_[A-Za-z0-9._-]+$/;
const PORT = /^[0-9]{1,5}$/;

/** The for= chain of a Forwarded header value (repeated headers joined with ', '); null when malformed. */
export function parseForwarded(value: string): ForwardedHop[] | null {
  const elements = splitOutsideQuotes(value, ',');
  if (elements === null) return null;
  const hops: ForwardedHop[] = [];
  for (const element of elements) {
    const pairs = splitOutsideQuotes(element, ';');
    if (pairs === null) return null;
    let hop: ForwardedHop | null = null;
    let seen = 0;
    for (const pair of pairs) {
      const text = pair.trim();
      // "forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )": empty pairs are allowed.
      if (text === '') continue;
      seen++;
      const equals = text.indexOf('=');
      if (equals <= 0) return null;
      const name = text.slice(0, equals);
      if (!isTokenText(name)) return null;
      const raw = readValue(text.slice(equals + 1));
      if (raw === null) return null;
      if (name.toLowerCase() !== 'for') continue;
      // §5: a parameter occurs at most once per element.
      if (hop !== null) return null;
      hop = parseNode(raw);
      if (hop === null) return null;
    }
    // An element without any pair at all is an empty list member: skipped, as #rule allows.
    if (seen === 0) continue;
    hops.push(hop ?? { address: null, port: null });
  }
  return hops.length === 0 ? null : hops;
}

/** The chain of an X-Forwarded-For value (repeated headers joined with ', '); null when malformed. */
export function parseXForwardedFor(value: string): ForwardedHop[] | null {
  const hops: ForwardedHop[] = [];
  for (const part of value.split(',')) {
    const text = part.trim();
    if (text === '') return null;
    if (text.toLowerCase() === 'unknown') {
      hops.push({ address: null, port: null });
      continue;
    }
    const address = parseAddress(text) ?? parseAddressWithPort(text)?.address ?? null;
    if (address === null) return null;
    // Ports in X-Forwarded-For are no standard: some proxies append one, and it is not used.
    hops.push({ address, port: null });
  }
  return hops;
}

/**
 * §6 node = nodename [ ":" node-port ]; nodename = IPv4address / "[" IPv6address "]" / "unknown" /
 * obfnode; node-port = port / obfport.
 */
function parseNode(text: string): ForwardedHop | null {
  if (text.toLowerCase() === 'unknown' || OBFUSCATED.test(text)) return { address: null, port: null };
  const bare = parseIPv4(text);
  if (bare !== null) return { address: formatIPv4(bare), port: null };
  if (text.startsWith('[') && text.endsWith(']')) {
    const v6 = parseIPv6(text.slice(1, -1));
    return v6 === null ? null : { address: formatIPv6(v6), port: null };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const name = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  let port: number | null;
  if (PORT.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else if (OBFUSCATED.test(portText)) port = null;
  else return null;
  if (name.toLowerCase() === 'unknown' || OBFUSCATED.test(name)) return { address: null, port: null };
  const v4 = parseIPv4(name);
  if (v4 !== null) return { address: formatIPv4(v4), port };
  if (name.startsWith('[') && name.endsWith(']')) {
    const v6 = parseIPv6(name.slice(1, -1));
    if (v6 !== null) return { address: formatIPv6(v6), port };
  }
  return null;
}

/** A bare IPv4 or IPv6 address, or an IPv6 one in brackets. */
function parseAddress(text: string): string | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return formatIPv4(v4);
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v6 = parseIPv6(inner);
  return v6 === null ? null : formatIPv6(v6);
}

/** "1.2.3.4:80" or "[::1]:80". */
function parseAddressWithPort(text: string): { address: string; port: number } | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = text.slice(colon + 1);
  if (!PORT.test(portText) || Number(portText) > 65535) return null;
  const name = text.slice(0, colon);
  const v4 = parseIPv4(name);
  if (v4 !== null) return { address: formatIPv4(v4), port: Number(portText) };
  if (!name.startsWith('[') || !name.endsWith(']')) return null;
  const v6 = parseIPv6(name.slice(1, -1));
  return v6 === null ? null : { address: formatIPv6(v6), port: Number(portText) };
}

/** value = token / quoted-string (RFC 7230 §3.2.6); the quoted form unescaped. Null when neither. */
function readValue(text: string): string | null {
  const value = text.trim();
  if (value === '') return null;
  if (value[0] !== '"') return isTokenText(value) ? value : null;
  if (value.length < 2 || value[value.length - 1] !== '"') return null;
  let out = '';
  for (let i = 1; i < value.length - 1; i++) {
    let char = value[i]!;
    if (char === '"') return null;
    if (char === '\\') {
      i++;
      if (i >= value.length - 1) return null;
      char = value[i]!;
    }
    const code = char.charCodeAt(0);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return null;
    out += char;
  }
  return out;
}

/** Splits on `separator` where it is not inside a quoted string; null for an unterminated quote. */
function splitOutsideQuotes(text: string, separator: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
    } else if (char === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return null;
  parts.push(text.slice(start));
  return parts;
}

function isTokenText(text: string): boolean {
  if (text === '') return false;
  for (let i = 0; i < text.length; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}
