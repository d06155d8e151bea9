/**
 * TrustedProxies: who the client of an upgrade request is when it came through reverse proxies that
 * say so in a header. Only a direct peer in the list is believed; its Forwarded header (RFC 7239), or
 * X-Forwarded-For when it sends no Forwarded, is read from the right (the hop nearest to us) and the
 * first address that is not itself a trusted proxy is the client. A proxy on the list may append to the
 * chain but anything to the left of the first untrusted hop was written by that client, so it is never
 * looked at: a client cannot make itself someone else by sending the header itself.
 */
import { parseForwarded, parseXForwardedFor, type ForwardedHop } from '../protocol/forwarded';
import type { HttpRequest } from '../protocol/http-request';
import { parseClientList, type ClientList } from './client-filter';

/** What the headers say of the client. */
export type ForwardedVerdict =
  /** Nothing to change: the peer is not trusted, or it sent neither header. */
  | { readonly kind: 'direct' }
  /** The client as the chain names it; `port` only when Forwarded's for= gave one. */
  | { readonly kind: 'forwarded'; readonly header: 'Forwarded' | 'X-Forwarded-For'; readonly address: string; readonly port: number | null }
  /** The header the peer sent cannot be read: the peer's address is kept (and the problem logged). */
  | { readonly kind: 'malformed'; readonly header: 'Forwarded' | 'X-Forwarded-For'; readonly value: string };

const DIRECT: ForwardedVerdict = Object.freeze({ kind: 'direct' });

/**
 * Parses a TrustedProxies value: the addresses and CIDR ranges of AllowedClients' syntax (IPv4-mapped
 * IPv6 is IPv4), but no host names (nothing would look them up) and no '*' (trusting every peer is
 * trusting every client's word). Throws TypeError naming the entry.
 */
export function parseTrustedProxies(text: string): ClientList {
  const list = parseClientList(text);
  for (const entry of list.entries) {
    if (entry === '*') throw new TypeError("'*' would trust every peer: list the proxies' addresses");
  }
  if (list.hostNames.length > 0) throw new TypeError(`'${list.hostNames[0]}' is a host name: list the proxies' addresses or CIDR ranges`);
  return list;
}

/** The client of `request`, which arrived from `peer` (the socket's or the PROXY protocol's source). */
export function forwardedClient(request: HttpRequest, peer: string, trusted: ClientList): ForwardedVerdict {
  if (trusted.entries.length === 0 || !trusted.matches(peer)) return DIRECT;
  const forwarded = request.get('forwarded');
  if (forwarded !== undefined) return fromChain('Forwarded', forwarded, parseForwarded(forwarded), trusted);
  const xff = request.get('x-forwarded-for');
  if (xff !== undefined) return fromChain('X-Forwarded-For', xff, parseXForwardedFor(xff), trusted);
  return DIRECT;
}

function fromChain(header: 'Forwarded' | 'X-Forwarded-For', value: string, hops: ForwardedHop[] | null, trusted: ClientList): ForwardedVerdict {
  if (hops === null) return { kind: 'malformed', header, value };
  let client: ForwardedHop | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // "unknown" or an obfuscated name: nothing behind it can be placed, so the walk stops at the
    // last address it could (a trusted proxy), or keeps the peer when there is none.
    if (hop.address === null) break;
    client = hop;
    if (!trusted.matches(hop.address)) break;
  }
  if (client === null) return DIRECT;
  return { kind: 'forwarded', header, address: client.address!, port: client.port };
}
