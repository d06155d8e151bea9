/**
 * PHP method names ignore case, and legacy scripts rely on it: the vendor's WebSocket Server sample
 * overrides `FireDataIn` and calls `$obj->DoSendText(...)`. The PHP-style class answers to those
 * spellings in two ways, both settled before any event or call, so nothing on the hot path looks a
 * name up by case:
 * - overrides of fire* in any case are found by one case-insensitive scan of a subclass's prototype
 *   chain, the first time that subclass is constructed (cached per constructor);
 * - every get* / set* / do* method also exists in lower case, UPPER case and PascalCase, as aliases
 *   defined once on the class prototype.
 */
import { ErrorCode, errorMessage } from '../lib/generated/api';
import { IPWorksSSLError } from './errors';

/** The other spellings PHP would accept for a camelCase method name, as scripts write them. */
export function caseSpellings(name: string): string[] {
  const spellings = [name.toLowerCase(), name.toUpperCase(), name.charAt(0).toUpperCase() + name.slice(1)];
  return [...new Set(spellings)].filter((spelling) => spelling !== name);
}

/**
 * Defines the case aliases of every method of `prototype` whose name `wanted` accepts. An alias
 * calls the camelCase method through `this`, so a subclass that overrides the camelCase name is
 * reached by every spelling. A name already defined anywhere on the chain is left alone.
 */
export function defineCaseAliases(prototype: object, wanted: (name: string) => boolean): void {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (!wanted(name) || typeof descriptor?.value !== 'function') continue;
    for (const spelling of caseSpellings(name)) {
      if (spelling in prototype) continue;
      const alias = {
        [spelling](this: Record<string, (...args: unknown[]) => unknown>, ...args: unknown[]): unknown {
          return this[name]!(...args);
        },
      }[spelling]!;
      Object.defineProperty(prototype, spelling, { value: alias, writable: true, configurable: true, enumerable: false });
    }
  }
}

/** Event name → the method key that handles it, for one class. */
export type EventMethodKeys = ReadonlyMap<string, string>;

const resolved = new WeakMap<Function, EventMethodKeys>();

/**
 * For each event, the key of the method that handles it in class `constructor`: the most derived
 * method named `fire<Event>` in any case (`FireDataIn`, `firedatain`, `fireDataIn`). Resolved once
 * per constructor. One class that defines the same event in two spellings is an error (616): PHP
 * would refuse to load it, and here one of the two would be silently ignored.
 */
export function eventMethodKeys(constructor: Function, eventNames: readonly string[]): EventMethodKeys {
  const cached = resolved.get(constructor);
  if (cached) return cached;
  const byLowerName = new Map(eventNames.map((event) => [`fire${event.toLowerCase()}`, event]));
  const keys = new Map<string, string>();
  for (let prototype = constructor.prototype as object | null; prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype)) {
    const here = new Map<string, string>();
    for (const key of Object.getOwnPropertyNames(prototype)) {
      const event = byLowerName.get(key.toLowerCase());
      // Only plain methods: a getter is never called to find out.
      if (event === undefined || typeof Object.getOwnPropertyDescriptor(prototype, key)?.value !== 'function') continue;
      const other = here.get(event);
      if (other !== undefined) throw twoSpellings(prototype, event, other, key);
      here.set(event, key);
    }
    for (const [event, key] of here) if (!keys.has(event)) keys.set(event, key);
  }
  resolved.set(constructor, keys);
  return keys;
}

function twoSpellings(prototype: object, event: string, first: string, second: string): IPWorksSSLError {
  const owner = (prototype as { constructor?: { name?: string } }).constructor?.name || 'the class';
  return new IPWorksSSLError(
    ErrorCode.InvalidArgument,
    `${errorMessage(ErrorCode.InvalidArgument)} ${owner} defines both ${first} and ${second}: PHP method names ignore case, ` +
      `so both are the ${event} event's handler. Keep one of them.`,
  );
}
