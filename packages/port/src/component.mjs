// What the translator knows about the component, read from the one description the server package is
// generated from (tools/api/wsserver.json), so names, IDs and parameter types cannot drift from it.
import { readFileSync } from 'node:fs';

const api = JSON.parse(readFileSync(new URL('../../../tools/api/wsserver.json', import.meta.url), 'utf8'));

export const PHP_CLASS = api.phpClass; // IPWorksSSL_WSServer
export const PREFIX = api.proceduralPrefix; // ipworksssl_wsserver_

/** The vendor's include files, by base name; any path in front of them is the script's own. */
export const VENDOR_INCLUDES = new Set(['ipworksssl_wsserver.php', 'ipworksssl_const.php', 'ipworksssl.php']);

const paramsOf = (event) => event.params ?? event.parameters ?? [];

/** Events by ID and by lower-case name: { id, name, params: Map(key -> { type, out }) }. */
export const eventsById = new Map();
export const eventsByLowerName = new Map();
for (const event of api.events) {
  const entry = {
    id: event.id,
    name: event.name,
    params: new Map(paramsOf(event).map((p) => [p.name, { type: p.type, out: Boolean(p.out) }])),
  };
  eventsById.set(event.id, entry);
  eventsByLowerName.set(event.name.toLowerCase(), entry);
}

/** Methods by lower-case name; every one but Config returns a promise in the compat faces. */
export const methodsByLowerName = new Map(
  api.methods.map((m) => [m.name.toLowerCase(), { name: m.name, promise: m.name !== 'Config', params: m.params ?? m.parameters ?? [] }]),
);

/** Properties by ID and by lower-case name. */
export const propertiesById = new Map(api.properties.map((p) => [p.id, p]));
export const propertiesByLowerName = new Map(api.properties.map((p) => [p.name.toLowerCase(), p]));

/** The procedural functions of wsserver-compat/compat, by their PHP name. */
export const PROCEDURAL = new Set([
  `${PREFIX}open`,
  `${PREFIX}close`,
  `${PREFIX}register_callback`,
  `${PREFIX}get_last_error`,
  `${PREFIX}get_last_error_code`,
  `${PREFIX}get`,
  `${PREFIX}set`,
  ...api.methods.map((m) => `${PREFIX}do_${m.name.toLowerCase()}`),
]);

/** Does this procedural call return a promise (every do_* but do_config)? */
export function proceduralIsAsync(name) {
  return name.startsWith(`${PREFIX}do_`) && name !== `${PREFIX}do_config`;
}

/** The method a PHP-style call names (doSendText, DOSENDTEXT …), or undefined. */
export function classMethod(callName) {
  const lower = callName.toLowerCase();
  if (lower === 'doevents') return methodsByLowerName.get('doevents');
  return lower.startsWith('do') ? methodsByLowerName.get(lower.slice(2)) : undefined;
}

/** The property a getX/setX call names, or undefined. */
export function classProperty(callName) {
  const lower = callName.toLowerCase();
  if (!lower.startsWith('get') && !lower.startsWith('set')) return undefined;
  return propertiesByLowerName.get(lower.slice(3));
}

/** The event a fire* method handles, or undefined. */
export function fireEvent(methodName) {
  const lower = methodName.toLowerCase();
  return lower.startsWith('fire') ? eventsByLowerName.get(lower.slice(4)) : undefined;
}
