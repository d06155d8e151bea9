/**
 * ShutdownTimeout: how long Shutdown waits for its closes. Each close already has its own bound (the
 * close reply waits up to the connection's Timeout, else 5 s), but those add up to whatever the
 * clients make of them; an operator stopping a process wants one number. When it passes, the
 * connections still there are destroyed (their Disconnected events report 1006 unless a close code
 * was already settled) and Shutdown resolves once their sockets are gone.
 */
import type { ConnectionBase } from './connection-base';
import type { ServerCounters } from './server-counters';
import { secondsToTimer } from './timer-limit';

/** Waits for `closing`, at most `seconds` (0: no deadline), then destroys what `remaining()` still holds. */
export async function withShutdownDeadline(
  closing: Promise<unknown>,
  seconds: number,
  remaining: () => Iterable<ConnectionBase & { whenClosed(): Promise<void> }>,
  counters: ServerCounters,
): Promise<void> {
  if (seconds <= 0) {
    await closing;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(resolve, secondsToTimer(seconds), 'deadline');
  });
  try {
    if ((await Promise.race([closing.then(() => 'closed' as const), deadline])) === 'closed') return;
  } finally {
    clearTimeout(timer);
  }
  const gone: Promise<void>[] = [];
  for (const connection of [...remaining()]) {
    counters.shutdownDeadline++;
    connection.engine.logger.log(connection.connectionId, 1, `Destroyed: Shutdown's deadline (ShutdownTimeout ${seconds} s) passed.`, 'Error');
    gone.push(connection.whenClosed());
    connection.destroy();
  }
  await Promise.all(gone);
  await closing;
}
