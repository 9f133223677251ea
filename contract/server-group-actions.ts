import { z } from 'zod';
import { capacitySpec } from './operations.ts';

/** An ad-hoc action on a server group from the clusters view or the API; it runs as an execution. */
export const serverGroupAction = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('enable') }),
  z.strictObject({ action: z.literal('disable') }),
  z.strictObject({ action: z.literal('destroy') }),
  z.strictObject({ action: z.literal('resize'), capacity: capacitySpec }),
  /** Re-enable this (older) group and disable the cluster's current one. */
  z.strictObject({ action: z.literal('rollback') }),
]);
export type ServerGroupAction = z.infer<typeof serverGroupAction>;
