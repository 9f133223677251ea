/** What every versioned document (pipelines, canary configs) shares: ids, versions, If-Match. */
import { z } from '@hono/zod-openapi';
import { badRequest } from '../errors.ts';

export const idParam = z.object({ id: z.string().min(1).max(64) });
export const versionParam = z.object({ id: z.string().min(1).max(64), version: z.coerce.number().int().positive() });
export const ifMatchHeader = z.object({ 'if-match': z.string().max(40).optional() });

/** `If-Match: 3` (or `"3"`) makes an update fail with 409 when someone saved version 4 first. */
export function expectedVersion(header: string | undefined, what: string): number | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!m) throw badRequest('If-Match', `If-Match must be the ${what} version you edited, e.g. "3"`);
  return Number(m[1]);
}

/** The text of a D1 error and its cause, where constraint failures are named. */
export const errorText = (err: unknown) => String((err as Error).message) + String((err as { cause?: Error }).cause?.message);

/** D1 reports constraint failures as errors whose message (or cause) names the constraint. */
export const isUniqueViolation = (err: unknown): boolean => /UNIQUE|PRIMARY KEY/i.test(errorText(err));
