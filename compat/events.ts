/**
 * Event parameters for the compat faces: one plain object per event whose keys are the reference's
 * parameter names in lower case, byte-valued parameters twice (a string and, with a `b` suffix, a
 * Buffer with the exact bytes), and out-parameters read back after the callback returned: from the
 * object it returned, if it returned one, else from the object it was given (PHP handlers return
 * `$param`; JavaScript ones usually mutate it).
 */
import { EVENTS, type EventInfo } from '../lib/generated/api';
import { parseBoolean, parseInteger } from '../lib/server/values';

export type EventParams = Record<string, unknown>;
export type EventCallback = (params: EventParams) => unknown;

const BY_ID = new Map<number, EventInfo>(EVENTS.map((e) => [e.id, e]));

export function eventInfo(id: unknown): EventInfo | undefined {
  return typeof id === 'number' ? BY_ID.get(id) : typeof id === 'string' && /^\d+$/.test(id) ? BY_ID.get(Number(id)) : undefined;
}

/** The params object for an engine event. */
export function toParams(info: EventInfo, event: Record<string, unknown>): EventParams {
  const params: EventParams = {};
  for (const param of info.params) {
    params[param.name] = event[param.modern];
    if (param.bufferTwin) params[param.bufferTwin] = event[param.modernBufferTwin!];
  }
  return params;
}

/** Copies the out-parameters back onto the engine event. */
export function readBack(info: EventInfo, event: Record<string, unknown>, params: EventParams, returned: unknown): void {
  const source = returned !== null && typeof returned === 'object' ? (returned as EventParams) : params;
  for (const param of info.params) {
    if (!param.out || !(param.name in source)) continue;
    const value = source[param.name];
    if (param.type === 'boolean') {
      const b = parseBoolean(value);
      if (b !== undefined) event[param.modern] = b;
    } else if (param.type === 'integer') {
      const n = parseInteger(value);
      if (n !== undefined) event[param.modern] = n;
    } else if (value !== undefined && value !== null) {
      event[param.modern] = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value);
    }
  }
}
