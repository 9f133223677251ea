/** Reading and replacing values by path in plain JSON data, without changing the original. */
import type { Segment } from '../json-lines.ts';

export type { Segment };

/** The value at `path`, or undefined when any step is missing. */
export function getIn(value: unknown, path: readonly Segment[]): unknown {
  let at = value;
  for (const step of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[step];
  }
  return at;
}

/**
 * A copy of `value` with `next` at `path`, copying only the objects on the way. `undefined`
 * removes an object's key (so an emptied optional field leaves no trace in the config) and an
 * array's item; missing steps are created as objects, or arrays before a numeric step.
 */
export function setIn(value: unknown, path: readonly Segment[], next: unknown): unknown {
  if (path.length === 0) return next;
  const [step, ...rest] = path as [Segment, ...Segment[]];
  if (Array.isArray(value) || (value === undefined && typeof step === 'number')) {
    const copy = [...((value as unknown[] | undefined) ?? [])];
    const index = Number(step);
    const item = setIn(copy[index], rest, next);
    if (item === undefined && rest.length === 0) copy.splice(index, 1);
    else copy[index] = item;
    return copy;
  }
  const copy: Record<string, unknown> = value !== null && typeof value === 'object' ? { ...(value as Record<string, unknown>) } : {};
  const item = setIn(copy[step], rest, next);
  if (item === undefined) delete copy[step];
  else copy[step] = item;
  return copy;
}
