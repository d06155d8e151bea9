/**
 * Memory figures for the specs that bound what a peer can make us hold. Each figure is taken after a
 * full garbage collection, so buffers that are already garbage (read chunks, written frames) do not
 * count against a budget and a run does not pass or fail on when V8 happened to collect.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection (V8's gc(), made reachable without --expose-gc). Twice: a Buffer's memory
 * is released by a callback the first collection schedules, so only the second one shows it gone.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** External memory (Buffers and ArrayBuffers) of this process, clients included, after a full collection. */
export function liveExternal(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.external + usage.arrayBuffers;
}
