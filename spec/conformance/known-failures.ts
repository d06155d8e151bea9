/**
 * The honest exceptions. Every entry names a case id and why it fails; the conformance spec goes red
 * when a case fails that is not listed here AND when a listed case no longer fails, so the lists
 * can only shrink by fixing things, never hide a regression.
 */

/** Our engine: FAILED cases with the issue that tracks them. */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The reference (`ws`): cases it FAILS, with the reason. Kept so that a case failing on the reference
 * is either a documented difference of `ws` or a bug in this suite — never silently both.
 */
export const REFERENCE_DEVIATIONS: Readonly<Record<string, string>> = Object.freeze({
  '13.4.4':
    'ws accepts server_max_window_bits=08 and answers =8; RFC 7692 §7.1.2.1 allows only "a decimal integer value without leading zeroes", so the offer must be declined.',
  '13.5.1':
    'ws refuses the handshake (400) when the first permessage-deflate offer is invalid, although a valid fallback offer follows (RFC 7692 §5: decline that offer, consider the next).',
  '13.5.3':
    'ws refuses the handshake (400) when the first offer has an unknown parameter, although a valid fallback offer follows (RFC 7692 §5).',
});
