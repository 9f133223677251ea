import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope } from '../auth/principal.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';

const d1Write = createRoute({
  method: 'post', path: '/diagnostics/d1-write', tags: ['system'], middleware: [authenticate],
  summary: 'Times bare D1 writes from inside the Worker, to compare engine overhead against',
  request: { body: jsonBody(z.strictObject({ rounds: z.number().int().min(1).max(200).default(20), writesPerRound: z.number().int().min(1).max(100).default(10) })) },
  responses: { 200: jsonResponse(z.object({ rounds: z.number(), samplesMs: z.array(z.number()) }), 'Mean time of one write in each round, in ms') },
});

export const diagnostics = router().openapi(d1Write, async (c) => {
  assertScope(c.get('principal'), 'admin');
  const { rounds, writesPerRound } = c.req.valid('json');
  const samplesMs: number[] = [];
  // Single-statement writes, the shape of the engine's smallest commit; they match no row, so
  // they change nothing. The Workers clock ticks in whole ms, so each sample averages a round.
  const statement = c.env.DB.prepare('UPDATE executions SET updated_at = ? WHERE id = ?');
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    for (let j = 0; j < writesPerRound; j++) await statement.bind(Date.now(), 'diagnostics-no-such-execution').run();
    samplesMs.push((performance.now() - t0) / writesPerRound);
  }
  return c.json({ rounds, samplesMs }, 200);
});
