import { z } from 'zod';
import { clusterTarget, defineStage } from './common.ts';

export const disableCluster = defineStage({
  type: 'disableCluster',
  label: 'Disable cluster',
  description: 'Disables all but the newest N enabled server groups of a cluster.',
  runsOn: 'agent',
  fields: { ...clusterTarget, remainingEnabledServerGroups: z.number().int().min(0).default(1), preferLargerOverNewer: z.boolean().default(false) },
});

export const scaleDownCluster = defineStage({
  type: 'scaleDownCluster',
  label: 'Scale down cluster',
  description: 'Scales all but the newest N full-size server groups of a cluster to zero.',
  runsOn: 'agent',
  fields: { ...clusterTarget, remainingFullSizeServerGroups: z.number().int().min(0).default(1), allowScaleDownActive: z.boolean().default(false), preferLargerOverNewer: z.boolean().default(false) },
});

export const shrinkCluster = defineStage({
  type: 'shrinkCluster',
  label: 'Shrink cluster',
  description: 'Destroys all but the newest (or largest) N server groups of a cluster.',
  runsOn: 'agent',
  fields: { ...clusterTarget, shrinkToSize: z.number().int().min(0).default(1), allowDeleteActive: z.boolean().default(false), retainLargerOverNewer: z.boolean().default(false) },
});

export const rollbackCluster = defineStage({
  type: 'rollbackCluster',
  label: 'Rollback cluster',
  description: 'Re-enables the previous server group, restores its capacity, then disables the current one.',
  runsOn: 'agent',
  fields: {
    ...clusterTarget,
    targetHealthyRollbackPercentage: z.number().int().min(1).max(100).default(100),
    delayBeforeDisableSec: z.number().int().min(0).default(0),
    restoreServerGroupName: z.string().max(200).optional(),
  },
});
