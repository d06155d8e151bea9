/** Helpers for compat specs: open a listening resource and pump DoEvents in the background. */
import * as api from '../../compat/procedural';

const open = new Set<number>();

/** A resource listening on 127.0.0.1 and a free port, with a DoEvents loop running until closeAll(). */
export async function listening(setup?: (res: number) => void): Promise<{ res: number; port: number }> {
  const res = api.ipworksssl_wsserver_open();
  open.add(res);
  expectZero(api.ipworksssl_wsserver_set(res, 23, '127.0.0.1'));
  setup?.(res);
  const code = await api.ipworksssl_wsserver_do_startlistening(res);
  if (code !== 0) throw new Error(`startlistening: ${code} ${api.ipworksssl_wsserver_get_last_error(res)}`);
  pump(res);
  return { res, port: api.ipworksssl_wsserver_get(res, 24) as number };
}

/** The DoEvents loop of a legacy script, as a background task. */
export function pump(res: number): void {
  void (async () => {
    while (open.has(res)) {
      const code = await api.ipworksssl_wsserver_do_doevents(res);
      if (code === 601) return;
    }
  })();
}

export async function closeAll(): Promise<void> {
  const handles = [...open];
  open.clear();
  for (const res of handles) {
    // Raw clients do not answer close frames: do not wait for them.
    api.ipworksssl_wsserver_do_config(res, 'WaitForCloseResponse=false');
    await api.ipworksssl_wsserver_do_shutdown(res);
    api.ipworksssl_wsserver_close(res);
  }
}

function expectZero(code: number): void {
  if (code !== 0) throw new Error(`expected 0, got ${code}`);
}
