import { createRoute, z } from '@hono/zod-openapi';
import pkg from '../../package.json' with { type: 'json' };
import { jsonResponse, router } from '../lib/router.ts';

export const health = router().openapi(
  createRoute({
    method: 'get',
    path: '/health',
    tags: ['system'],
    responses: { 200: jsonResponse(z.object({ ok: z.boolean(), version: z.string() }), 'The edge is up') },
  }),
  (c) => c.json({ ok: true, version: pkg.version }, 200),
);
