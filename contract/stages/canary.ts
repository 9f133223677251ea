import { z } from 'zod';
import { defineStage } from './common.ts';

export const canary = defineStage({
  type: 'canary',
  label: 'Canary analysis',
  description: 'Deploys baseline and canary groups beside production, judges their metrics each interval, then destroys both.',
  runsOn: 'agent',
  fields: {
    canaryConfigName: z.string().min(1).max(200),
    account: z.string().min(1).max(64),
    location: z.string().min(1).max(64),
    cluster: z.string().min(1).max(200),
    artifact: z.record(z.string(), z.unknown()),
    instances: z.number().int().min(1).max(100).default(1),
    lifetimeMins: z.number().positive(),
    analysisIntervalMins: z.number().positive().optional(),
    beginCanaryAnalysisAfterMins: z.number().min(0).default(0),
    baselineAnalysisOffsetInMins: z.number().min(0).default(0),
    lookbackMins: z.number().min(0).default(0),
    stepSec: z.number().int().positive().default(10),
    scoreThresholds: z.strictObject({ pass: z.number().min(0).max(100), marginal: z.number().min(0).max(100) }).default({ pass: 75, marginal: 50 }),
  },
});
