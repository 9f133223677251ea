import { z } from 'zod';

/**
 * Spinnaker application names: lowercase letters and digits, starting with a letter.
 * No dashes, because a dash separates app, stack and detail in a server group name.
 */
export const applicationName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9]*$/, 'must be lowercase letters and digits, starting with a letter');

/** Stack and detail parts of a cluster name: letters, digits, and (detail only) dashes. */
export const stackName = z.string().max(64).regex(/^[a-z0-9_]*$/i, 'letters, digits and _ only');
export const detailName = z.string().max(64).regex(/^[a-z0-9_-]*$/i, 'letters, digits, _ and - only');

/** Accounts name deploy targets (e.g. `local`, `prod-k8s`). */
export const accountName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-_]*$/, 'lowercase letters, digits, - and _');

/** IANA time zone such as `UTC` or `Europe/Paris`, checked against the runtime's tz database. */
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');
