import { z } from 'zod';
import { defineStage } from './common.ts';

const statusList = z.string().max(500).optional();

export const webhook = defineStage({
  type: 'webhook',
  label: 'Webhook',
  description: 'Calls an HTTP endpoint and optionally polls a status URL until the remote work completes.',
  runsOn: 'edge',
  fields: {
    url: z.string().min(1).max(2000),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('POST'),
    customHeaders: z.record(z.string(), z.string()).optional(),
    payload: z.unknown().optional(),
    failFastStatusCodes: z.array(z.number().int().min(100).max(599)).max(50).optional(),
    retryStatusCodes: z.array(z.number().int().min(100).max(599)).max(50).optional(),
    waitForCompletion: z.boolean().default(false),
    statusUrlResolution: z.enum(['getMethod', 'locationHeader', 'webhookResponse']).optional(),
    statusUrlJsonPath: z.string().max(500).optional(),
    statusJsonPath: z.string().max(500).optional(),
    progressJsonPath: z.string().max(500).optional(),
    successStatuses: statusList,
    canceledStatuses: statusList,
    terminalStatuses: statusList,
    waitBeforeMonitor: z.number().int().min(0).optional(),
    pollIntervalSec: z.number().int().min(1).max(3600).optional(),
    cancelEndpoint: z.string().max(2000).optional(),
    cancelMethod: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    cancelPayload: z.unknown().optional(),
  },
});
