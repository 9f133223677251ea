import { z } from 'zod';
import { clusterTarget, defineStage } from './common.ts';

export const runJob = defineStage({
  type: 'runJob',
  label: 'Run job',
  description: 'Runs a one-off job (a process or container) on an account and waits for it to exit.',
  runsOn: 'agent',
  fields: {
    account: clusterTarget.account,
    location: clusterTarget.location,
    command: z.string().min(1).max(2000),
    args: z.array(z.string().max(2000)).max(100).default([]),
    env: z.record(z.string(), z.string()).default({}),
    timeoutSec: z.number().int().positive().optional(),
  },
});
