import { createRoute, z } from '@hono/zod-openapi';
import { asc, count, eq } from 'drizzle-orm';
import { user, userCreate, userList, type User } from '../../contract/users.ts';
import { users } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { hashPassword } from '../auth/password.ts';
import { assertScope } from '../auth/principal.ts';
import { conflict } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { iso, isoOf } from '../lib/time.ts';

type Row = typeof users.$inferSelect;
/** A user as the API shows it: never the password hash. */
export const userView = (r: Row): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  createdAt: isoOf(r.createdAt),
  disabledAt: iso(r.disabledAt),
});

const list = createRoute({
  method: 'get', path: '/users', tags: ['users'], middleware: [authenticate],
  request: {
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: { 200: jsonResponse(userList.extend({ total: z.number(), limit: z.number(), offset: z.number() }), 'Console users by email, a page at a time') },
});
const create = createRoute({
  method: 'post', path: '/users', tags: ['users'], middleware: [authenticate],
  request: { body: jsonBody(userCreate) },
  responses: { 201: jsonResponse(user, 'Created; the user can sign in with the password') },
});

/** Console users beyond the bootstrap admin. Managing them needs `admin`. */
export const userRoutes = router()
  .openapi(list, async (c) => {
    assertScope(c.get('principal'), 'admin');
    const { limit, offset } = c.req.valid('query');
    const db = database(c.env.DB);
    const [rows, [total]] = await db.batch([
      db.select().from(users).orderBy(asc(users.email)).limit(limit).offset(offset),
      db.select({ n: count() }).from(users),
    ]);
    return c.json({ items: rows.map(userView), total: total?.n ?? 0, limit, offset }, 200);
  })
  .openapi(create, async (c) => {
    assertScope(c.get('principal'), 'admin');
    const body = c.req.valid('json');
    const db = database(c.env.DB);
    // Sign-in looks emails up in lower case, so they are stored that way.
    const email = body.email.toLowerCase();
    if (await db.select({ id: users.id }).from(users).where(eq(users.email, email)).get()) {
      throw conflict(`a user with email "${email}" already exists`, 'email');
    }
    const now = Date.now();
    const row: Row = { id: crypto.randomUUID(), email, name: body.name, role: body.role, passwordHash: await hashPassword(body.password), createdAt: now, disabledAt: null };
    await db.batch([
      db.insert(users).values(row),
      auditInsert(db, c, { action: 'user.create', resourceType: 'user', resourceId: row.id, details: { email, role: row.role } }, now),
    ]);
    return c.json(userView(row), 201);
  });
