import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope } from '../auth/principal.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';

const d1Write = createRoute({
  method: 'post', path: '/diagnostics/d1-write', tags: ['system'], middleware: [authenticate],
  summary: 'Times bare D1 writes from inside the Worker, to compare engine overhead against',
  request: { body: jsonBody(z.strictObject({ rounds: z.number().int().min(1).max(1000).default(100) })) },
  responses: { 200: jsonResponse(z.object({ rounds: z.number(), samplesMs: z.array(z.number()) }), 'Each write, in ms') },
});

export const diagnostics = router().openapi(d1Write, async (c) => {
  assertScope(c.get('principal'), 'admin');
  const { rounds } = c.req.valid('json');
  const samplesMs: number[] = [];
  // One single-statement write per round, the same shape as the engine's smallest commit; it
  // matches no row, so it changes nothing.
  const statement = c.env.DB.prepare('UPDATE executions SET updated_at = ? WHERE id = ?');
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await statement.bind(Date.now(), 'diagnostics-no-such-execution').run();
    samplesMs.push(performance.now() - t0);
  }
  return c.json({ rounds, samplesMs }, 200);
});
