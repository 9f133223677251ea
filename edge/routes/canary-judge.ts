import { createRoute } from '@hono/zod-openapi';
import { judgeRequest, judgeResponse } from '../../contract/canary.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope } from '../auth/principal.ts';
import { judge } from '../canary/judge.ts';
import type { MetricsData } from '../canary/types.ts';
import { badRequest } from '../errors.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';

const judgeRoute = createRoute({
  method: 'post', path: '/canary/judge', tags: ['canary'], middleware: [authenticate],
  summary: 'Judges one canary interval: classifies each metric (Mann-Whitney, as Kayenta) and scores the run',
  description: 'Data holds the control (baseline) and experiment (canary) samples per metric; null stands for a NaN point.',
  request: { body: jsonBody(judgeRequest) },
  responses: { 200: jsonResponse(judgeResponse, 'Per-metric classifications, group scores, summary score and verdict') },
});

export const canaryJudge = router().openapi(judgeRoute, (c) => {
  assertScope(c.get('principal'), 'read');
  const { config, data } = c.req.valid('json');
  const names = new Set(config.metrics.map((m) => m.name));
  const unknown = Object.keys(data).find((name) => !names.has(name));
  if (unknown !== undefined) throw badRequest(`data.${unknown}`, `no metric "${unknown}" in config.metrics`);
  const samples: MetricsData = {};
  const toNumbers = (vs: (number | null)[]) => vs.map((v) => v ?? NaN);
  for (const [name, d] of Object.entries(data)) samples[name] = { control: toNumbers(d.control), experiment: toNumbers(d.experiment) };
  return c.json(judge(config, samples), 200);
});
