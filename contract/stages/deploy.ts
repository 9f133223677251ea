import { z } from 'zod';
import { capacity, defineStage } from './common.ts';
import { detailName, stackName } from '../names.ts';

/**
 * Rolling red/black steps (Orca's `targetPercentages`): each a share of the desired capacity, in
 * rising order. A step that shrinks or repeats would take more old instances out while the new
 * group shrinks (a partial disable never puts instances back), so capacity would be lost.
 */
export const targetPercentages = z
  .array(z.number().int().min(1).max(100))
  .max(20)
  .superRefine((ps, ctx) => {
    for (let i = 1; i < ps.length; i++) {
      if (ps[i]! <= ps[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: [i], input: ps[i], message: `expected more than ${ps[i - 1]} (the step before): percentages must rise strictly, without repeats` });
        return;
      }
    }
  });

const serverGroupSpec = z.strictObject({
  account: z.string().min(1).max(64),
  location: z.string().min(1).max(64),
  application: z.string().min(1).max(64),
  stack: stackName.default(''),
  freeFormDetails: detailName.default(''),
  strategy: z.enum(['redblack', 'highlander', 'rollingredblack', 'none']).default('none'),
  capacity,
  artifact: z.record(z.string(), z.unknown()),
  loadBalancers: z.array(z.string().max(200)).max(20).default([]),
  maxRemainingAsgs: z.number().int().min(0).optional(),
  scaleDown: z.boolean().optional(),
  delayBeforeDisableSec: z.number().int().min(0).optional(),
  delayBeforeScaleDownSec: z.number().int().min(0).optional(),
  targetPercentages: targetPercentages.optional(),
  healthCheckTimeoutSec: z.number().int().positive().optional(),
  healthCheckPath: z.string().max(500).optional(),
});

export const deploy = defineStage({
  type: 'deploy',
  label: 'Deploy',
  description: 'Creates a new server group app-stack-detail-vNNN and moves traffic by the chosen strategy.',
  runsOn: 'agent',
  fields: { clusters: z.array(serverGroupSpec).min(1).max(20) },
});
