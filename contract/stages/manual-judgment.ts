import { z } from 'zod';
import { defineStage } from './common.ts';

export const manualJudgment = defineStage({
  type: 'manualJudgment',
  label: 'Manual judgment',
  description: 'Pauses until a person chooses continue or stop, optionally picking one of the judgment inputs.',
  runsOn: 'edge',
  fields: {
    instructions: z.string().max(10_000).optional(),
    judgmentInputs: z.array(z.strictObject({ value: z.string().min(1).max(200) })).max(50).default([]),
    selectedStageRoles: z.array(z.string().max(100)).max(50).default([]),
    propagateAuthenticationContext: z.boolean().optional(),
  },
});
