/** The whole case list, in id order. */
import type { ConformanceCase } from '../case';
import { closeCases } from './close';
import { deflateCases } from './deflate';
import { fragmentationCases } from './fragmentation';
import { framingCases } from './framing';
import { limitCases } from './limits';
import { utf8Cases } from './utf8';

/** Every case; ids are unique (checked by the conformance spec). */
export function allCases(): ConformanceCase[] {
  return [...framingCases(), ...fragmentationCases(), ...utf8Cases(), ...closeCases(), ...limitCases(), ...deflateCases()];
}
