import { createRoute, z } from '@hono/zod-openapi';
import { stageBase, stageTypes } from '../../contract/stages/index.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope } from '../auth/principal.ts';
import { jsonResponse, router } from '../lib/router.ts';

// Built once per isolate: the schemas are static.
let catalogue: unknown[] | undefined;
function build() {
  catalogue ??= stageTypes.map((s) => ({
    type: s.type,
    label: s.label,
    description: s.description,
    runsOn: s.runsOn,
    schema: z.toJSONSchema(z.strictObject({ ...stageBase, ...s.fields }), { unrepresentable: 'any', io: 'input' }),
  }));
  return catalogue;
}

const list = createRoute({
  method: 'get', path: '/stage-types', tags: ['pipelines'], middleware: [authenticate],
  responses: { 200: jsonResponse(z.object({ items: z.array(z.record(z.string(), z.unknown())) }), 'Every stage type with the JSON Schema of its fields') },
});

export const stageTypeRoutes = router().openapi(list, (c) => {
  assertScope(c.get('principal'), 'read');
  return c.json({ items: build() as Record<string, unknown>[] }, 200);
});
