import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { fromZod } from '../errors.ts';

/** A resource sub-app whose failed validations become 400s naming the bad field. */
export function router<E extends AppEnv = AppEnv>() {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw fromZod(result.error as never);
    },
  });
}

export const jsonBody = <T>(schema: T, description = 'JSON body') => ({
  required: true,
  description,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
