import { z } from 'zod';
import { defineStage } from './common.ts';

const precondition = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('expression'),
    failPipeline: z.boolean().default(true),
    context: z.strictObject({ expression: z.string().min(1).max(2000), failureMessage: z.string().max(500).optional() }),
  }),
  z.strictObject({
    type: z.literal('stageStatus'),
    failPipeline: z.boolean().default(true),
    context: z.strictObject({ stageName: z.string().min(1), stageStatus: z.string().min(1) }),
  }),
  z.strictObject({
    type: z.literal('clusterSize'),
    failPipeline: z.boolean().default(true),
    context: z.strictObject({
      account: z.string().min(1),
      cluster: z.string().min(1),
      regions: z.array(z.string()).min(1),
      comparison: z.enum(['<', '<=', '==', '>=', '>']).default('=='),
      expected: z.number().int().min(0),
      onlyEnabledServerGroups: z.boolean().default(false),
    }),
  }),
]);

export const checkPreconditions = defineStage({
  type: 'checkPreconditions',
  label: 'Check preconditions',
  description: 'Fails the stage (or only warns) when an expression, a stage status or a cluster size check is false.',
  runsOn: 'edge',
  fields: { preconditions: z.array(precondition).min(1).max(50) },
});
