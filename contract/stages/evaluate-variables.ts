import { z } from 'zod';
import { defineStage } from './common.ts';

export const evaluateVariables = defineStage({
  type: 'evaluateVariables',
  label: 'Evaluate variables',
  description: 'Evaluates named expressions once and publishes the results as stage outputs.',
  runsOn: 'edge',
  fields: {
    variables: z
      .array(z.strictObject({ key: z.string().min(1).max(100).regex(/^[A-Za-z_]\w*$/), value: z.unknown() }))
      .max(100),
  },
});
