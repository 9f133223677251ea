import { createRoute, z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { applicationName } from '../../contract/names.ts';
import { apiTokens } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope, scopes } from '../auth/principal.ts';
import { mintSecret } from '../auth/secrets.ts';
import { conflict, notFound } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { iso, isoOf } from '../lib/time.ts';

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  applications: z.array(z.string()).nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});

type Row = typeof apiTokens.$inferSelect;
/** A token as the API shows it: never the secret or its hash. */
export function tokenView(row: Row, now = Date.now()): z.infer<typeof tokenSchema> {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as z.infer<typeof tokenSchema>['scopes'],
    applications: row.applications,
    createdBy: row.createdBy,
    createdAt: isoOf(row.createdAt),
    expiresAt: isoOf(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    lastUsedAt: iso(row.lastUsedAt),
    status: row.revokedAt !== null ? 'revoked' : row.expiresAt <= now ? 'expired' : 'active',
  };
}

const tokenCreate = z
  .strictObject({
    name: z.string().min(1).max(100).regex(/^[\w .-]+$/, 'letters, digits, space, _ . - only'),
    scopes: z.array(z.enum(scopes)).min(1).max(4),
    applications: z.array(applicationName).min(1).max(100).nullable().default(null),
    expiresInDays: z.number().int().min(1).max(365).default(90),
  })
  // Admin manages the whole installation, which a token bound to some applications cannot.
  .refine((t) => !(t.scopes.includes('admin') && t.applications !== null), {
    path: ['applications'],
    message: 'an admin token cannot be restricted to applications; grant read, write or execute instead',
  });

const idParam = z.object({ id: z.string().min(1).max(64) });

const list = createRoute({
  method: 'get',
  path: '/tokens',
  tags: ['tokens'],
  middleware: [authenticate],
  responses: { 200: jsonResponse(z.object({ items: z.array(tokenSchema) }), 'All API tokens, newest first, without secrets') },
});
const create = createRoute({
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  middleware: [authenticate],
  request: { body: jsonBody(tokenCreate) },
  responses: { 201: jsonResponse(z.object({ token: tokenSchema, secret: z.string() }), 'The secret is shown this once') },
});
const revoke = createRoute({
  method: 'delete',
  path: '/tokens/{id}',
  tags: ['tokens'],
  middleware: [authenticate],
  request: { params: idParam },
  responses: { 200: jsonResponse(tokenSchema, 'Revoked') },
});

export const tokens = router()
  .openapi(list, async (c) => {
    assertScope(c.get('principal'), 'admin');
    const rows = await database(c.env.DB).select().from(apiTokens).orderBy(desc(apiTokens.createdAt)).limit(500).all();
    return c.json({ items: rows.map((r) => tokenView(r)) }, 200);
  })
  .openapi(create, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'admin');
    const body = c.req.valid('json');
    const db = database(c.env.DB);
    const now = Date.now();
    const minted = await mintSecret('gnk');
    const row: Row = {
      id: minted.id,
      name: body.name,
      secretHash: minted.hash,
      scopes: [...new Set(body.scopes)],
      applications: body.applications,
      createdBy: p.name,
      createdAt: now,
      expiresAt: now + body.expiresInDays * 86_400_000,
      revokedAt: null,
      lastUsedAt: null,
    };
    await db.batch([
      db.insert(apiTokens).values(row),
      auditInsert(db, c, { action: 'token.create', resourceType: 'token', resourceId: row.id, details: { name: row.name, scopes: row.scopes } }, now),
    ]);
    return c.json({ token: tokenView(row, now), secret: minted.token }, 201);
  })
  .openapi(revoke, async (c) => {
    assertScope(c.get('principal'), 'admin');
    const { id } = c.req.valid('param');
    const db = database(c.env.DB);
    const row = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
    if (!row) throw notFound(`token "${id}"`);
    if (row.revokedAt !== null) throw conflict(`token "${row.name}" is already revoked`);
    const now = Date.now();
    await db.batch([
      db.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, id)),
      auditInsert(db, c, { action: 'token.revoke', resourceType: 'token', resourceId: id, details: { name: row.name } }, now),
    ]);
    return c.json(tokenView({ ...row, revokedAt: now }, now), 200);
  });
