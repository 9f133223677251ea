import { eq } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { agents } from '../../db/schema.ts';
import { parseSecret, secretMatches } from '../auth/secrets.ts';
import type { AppEnv } from '../env.ts';
import { unauthorized } from '../errors.ts';
import { database } from '../lib/db.ts';

export type AgentEnv = AppEnv & { Variables: { agentId: string } };

/** Agents authenticate with the credential they got at registration: `Bearer gna_…`. */
export const agentAuth = createMiddleware<AgentEnv>(async (c, next) => {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('Authorization') ?? '');
  const parsed = m ? parseSecret('gna', m[1]!) : null;
  if (!parsed) throw unauthorized('agent credential required: "Authorization: Bearer gna_…"');
  const row = await database(c.env.DB).select().from(agents).where(eq(agents.id, parsed.id)).get();
  if (!row || !(await secretMatches(parsed.secret, row.secretHash))) throw unauthorized('unknown agent credential');
  if (row.revokedAt !== null) throw unauthorized(`agent "${row.name}" was revoked`);
  c.set('agentId', row.id);
  await next();
});
