/**
 * What a Node timer can hold. setTimeout (and socket.setTimeout) take at most 2^31-1 ms, about 24.8
 * days; a longer delay is not an error there but a warning, and the timer fires after 1 ms — a
 * HandshakeTimeout of 3000000 s would answer every client 408 at once. Settings and properties whose
 * values the reference does not bound (DefaultConnectionTimeout, WSConnectionTimeout, SelectWaitMillis
 * …) are clamped to it here, which changes nothing a caller could notice: 24.8 days is as good as never
 * for a handshake, a send or a DoEvents wait. Our own HandshakeTimeout refuses such values (608) instead.
 */

/** The longest delay a Node timer holds, in milliseconds (2^31-1). */
export const TIMER_MAX_MS = 0x7fffffff;

/** A delay in milliseconds as a timer can take it: clamped to TIMER_MAX_MS. */
export function timerDelay(ms: number): number {
  return ms > TIMER_MAX_MS ? TIMER_MAX_MS : ms;
}

/** A setting in seconds as a timer delay in milliseconds, clamped to TIMER_MAX_MS. */
export function secondsToTimer(seconds: number): number {
  return timerDelay(seconds * 1000);
}
