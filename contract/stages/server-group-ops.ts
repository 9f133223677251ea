import { z } from 'zod';
import { capacity, clusterTarget, defineStage, numberOr } from './common.ts';

/** Which server group of a cluster an operation aims at, as in Spinnaker's target selectors. */
const target = z.enum(['current_asg_dynamic', 'ancestor_asg_dynamic', 'oldest_asg_dynamic']);
const serverGroupOp = {
  ...clusterTarget,
  target: target.default('current_asg_dynamic'),
  /** An exact server group; when set, `target` is not used (ad-hoc actions name the group). */
  serverGroupName: z.string().min(1).max(200).optional(),
};

export const enableServerGroup = defineStage({
  type: 'enableServerGroup',
  label: 'Enable server group',
  description: 'Puts a server group back into its load balancers.',
  runsOn: 'agent',
  fields: serverGroupOp,
});

export const disableServerGroup = defineStage({
  type: 'disableServerGroup',
  label: 'Disable server group',
  description: 'Takes a server group out of its load balancers, letting in-flight requests drain.',
  runsOn: 'agent',
  fields: serverGroupOp,
});

export const resizeServerGroup = defineStage({
  type: 'resizeServerGroup',
  label: 'Resize server group',
  description: 'Sets a server group to an exact capacity, or scales it by a number or a percentage.',
  runsOn: 'agent',
  fields: {
    ...serverGroupOp,
    action: z.enum(['scale_exact', 'scale_up', 'scale_down', 'scale_to_cluster']).default('scale_exact'),
    capacity: capacity.optional(),
    scaleNum: numberOr(z.number().int().min(0)).optional(),
    scalePct: numberOr(z.number().min(0).max(1000)).optional(),
  },
});

export const destroyServerGroup = defineStage({
  type: 'destroyServerGroup',
  label: 'Destroy server group',
  description: 'Deletes a server group and its instances.',
  runsOn: 'agent',
  fields: serverGroupOp,
});
