import { z } from 'zod';
import { defineStage, numberOr } from './common.ts';

export const wait = defineStage({
  type: 'wait',
  label: 'Wait',
  description: 'Waits a number of seconds; a user can skip the rest of the wait.',
  runsOn: 'edge',
  fields: { waitTime: numberOr(z.number().int().min(0).max(31_536_000)), skipWaitText: z.string().max(500).optional() },
});
