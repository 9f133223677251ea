/** The canary API's shapes as the console receives them. */
import type { z } from 'zod';
import type { canaryConfigVersion, storedCanaryConfig } from '../../../edge/routes/canary-configs.ts';

export type StoredCanaryConfig = z.infer<typeof storedCanaryConfig>;
export type CanaryConfigVersion = z.infer<typeof canaryConfigVersion>;
export type { CanaryInterval, CanaryIntervalSummary, CanaryReport, CanaryReportSummary, CanaryRunStatus } from '../../../contract/canary-reports.ts';
export type { CollectedMetrics } from '../../../contract/canary.ts';
