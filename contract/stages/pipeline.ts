import { z } from 'zod';
import { defineStage } from './common.ts';

export const pipeline = defineStage({
  type: 'pipeline',
  label: 'Pipeline',
  description: 'Runs another pipeline as a child execution, optionally waiting for it to finish.',
  runsOn: 'edge',
  fields: {
    application: z.string().min(1).max(64),
    pipeline: z.string().min(1).max(100),
    pipelineParameters: z.record(z.string(), z.unknown()).default({}),
    waitForCompletion: z.boolean().default(true),
  },
});
