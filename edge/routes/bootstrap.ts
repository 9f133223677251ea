import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { apiTokens, users } from '../../db/schema.ts';
import { hashPassword } from '../auth/password.ts';
import { mintSecret, secretMatches, sha256Hex } from '../auth/secrets.ts';
import { ApiError, badRequest, unauthorized } from '../errors.ts';
import type { AppEnv } from '../env.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';

const TOKEN_DAYS = 30;
const SECRET_HEADER = 'x-bootstrap-secret';

/** The secret is the caller's credential, so it is checked before the body is even read. */
const holdsSecret = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.GENNAKER_BOOTSTRAP_SECRET;
  if (!expected) throw new ApiError('not_found', 'bootstrap is disabled: GENNAKER_BOOTSTRAP_SECRET is not set');
  const presented = c.req.header(SECRET_HEADER);
  if (presented === undefined) throw badRequest(SECRET_HEADER, `${SECRET_HEADER} header is required`);
  if (!(await secretMatches(presented, await sha256Hex(expected)))) throw unauthorized('wrong bootstrap secret');
  await next();
});

const route = createRoute({
  method: 'post',
  path: '/bootstrap',
  tags: ['auth'],
  middleware: [holdsSecret],
  summary: 'Creates (or resets) an admin user and issues an admin API token; needs the bootstrap secret',
  request: {
    headers: z.object({ [SECRET_HEADER]: z.string() }),
    body: jsonBody(
      z.strictObject({
        email: z.email().max(254),
        password: z.string().min(12).max(200),
        name: z.string().min(1).max(100).default('Administrator'),
        tokenName: z.string().min(1).max(100).default('bootstrap-admin'),
      }),
    ),
  },
  responses: {
    201: jsonResponse(z.object({ userId: z.string(), token: z.string(), tokenId: z.string(), expiresAt: z.string() }), 'Admin ready'),
  },
});

/**
 * The first admin. Enabled only where `GENNAKER_BOOTSTRAP_SECRET` is set (`npm start` sets a random
 * one per start through an env file in its state folder; production sets it with `wrangler secret put`),
 * and only for its holder.
 */
export const bootstrap = router().openapi(route, async (c) => {
  const body = c.req.valid('json');
  const db = database(c.env.DB);
  const now = Date.now();
  const email = body.email.toLowerCase();
  const existing = await db.select().from(users).where(eq(users.email, email)).get();
  const userId = existing?.id ?? crypto.randomUUID();
  const passwordHash = await hashPassword(body.password);
  const minted = await mintSecret('gnk');
  const expiresAt = now + TOKEN_DAYS * 86_400_000;
  c.set('principal', { type: 'user', id: userId, name: email, scopes: ['admin'], applications: null });
  await db.batch([
    existing
      ? db.update(users).set({ passwordHash, role: 'admin', disabledAt: null }).where(eq(users.id, userId))
      : db.insert(users).values({ id: userId, email, name: body.name, role: 'admin', passwordHash, createdAt: now }),
    db.insert(apiTokens).values({
      id: minted.id,
      name: body.tokenName,
      secretHash: minted.hash,
      scopes: ['admin'],
      applications: null,
      createdBy: email,
      createdAt: now,
      expiresAt,
    }),
    auditInsert(db, c, { action: existing ? 'bootstrap.reset' : 'bootstrap.create', resourceType: 'user', resourceId: userId }, now),
  ]);
  return c.json({ userId, token: minted.token, tokenId: minted.id, expiresAt: new Date(expiresAt).toISOString() }, 201);
});
