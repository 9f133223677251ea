import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { sessions, users } from '../../db/schema.ts';
import { authenticate, csrfTokenFor, SESSION_COOKIE, userPrincipal } from '../auth/authenticate.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import { mintSecret, parseSecret, secretMatches } from '../auth/secrets.ts';
import { unauthorized } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';

const SESSION_MS = 12 * 3600_000;

const user = z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.enum(['admin', 'member']) });
const sessionInfo = z.object({
  user: user.nullable(),
  principal: z.object({ type: z.enum(['user', 'token']), name: z.string(), scopes: z.array(z.string()) }),
  csrfToken: z.string().nullable(),
});

const login = createRoute({
  method: 'post',
  path: '/auth/login',
  tags: ['auth'],
  request: { body: jsonBody(z.strictObject({ email: z.string().min(1).max(254), password: z.string().min(1).max(200) })) },
  responses: { 200: jsonResponse(sessionInfo, 'Signed in; the session cookie is set') },
});

const session = createRoute({
  method: 'get',
  path: '/auth/session',
  tags: ['auth'],
  middleware: [authenticate],
  responses: { 200: jsonResponse(sessionInfo, 'Who is calling') },
});

const logout = createRoute({
  method: 'post',
  path: '/auth/logout',
  tags: ['auth'],
  responses: { 200: jsonResponse(z.object({ ok: z.boolean() }), 'Signed out') },
});

export const auth = router()
  .openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const db = database(c.env.DB);
    const row = await db.select().from(users).where(eq(users.email, email.toLowerCase())).get();
    // Same message, and the same hashing work, for an unknown email and a wrong password, so
    // sign-in reveals neither by its answer nor by its timing who has an account.
    const matches = await verifyPassword(password, row?.passwordHash ?? (await dummyHash()));
    if (!row || !matches || row.disabledAt !== null) throw unauthorized('wrong email or password');
    const now = Date.now();
    const minted = await mintSecret('gns');
    const principal = userPrincipal(row);
    c.set('principal', principal);
    await db.batch([
      db.insert(sessions).values({ id: minted.id, userId: row.id, secretHash: minted.hash, createdAt: now, expiresAt: now + SESSION_MS }),
      auditInsert(db, c, { action: 'auth.login', resourceType: 'user', resourceId: row.id }, now),
    ]);
    setCookie(c, SESSION_COOKIE, minted.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/',
      maxAge: SESSION_MS / 1000,
    });
    const secret = parseSecret('gns', minted.token)!.secret;
    return c.json(
      {
        user: { id: row.id, email: row.email, name: row.name, role: row.role },
        principal: { type: principal.type, name: principal.name, scopes: [...principal.scopes] },
        csrfToken: await csrfTokenFor(secret),
      },
      200,
    );
  })
  .openapi(session, async (c) => {
    const p = c.get('principal');
    const db = database(c.env.DB);
    const cookie = p.type === 'user' ? parseSecret('gns', getCookie(c, SESSION_COOKIE) ?? '') : null;
    const row = p.type === 'user' ? await db.select().from(users).where(eq(users.id, p.id)).get() : undefined;
    return c.json(
      {
        user: row ? { id: row.id, email: row.email, name: row.name, role: row.role } : null,
        principal: { type: p.type, name: p.name, scopes: [...p.scopes] },
        csrfToken: cookie ? await csrfTokenFor(cookie.secret) : null,
      },
      200,
    );
  })
  .openapi(logout, async (c) => {
    // Logging out needs no CSRF token: the worst a forged logout does is sign someone out.
    const parsed = parseSecret('gns', getCookie(c, SESSION_COOKIE) ?? '');
    const db = database(c.env.DB);
    const row = parsed
      ? await db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, parsed.id)).get()
      : undefined;
    // Only the holder of the session's secret ends it; an id alone is not enough.
    if (parsed && row && (await secretMatches(parsed.secret, row.session.secretHash))) {
      c.set('principal', userPrincipal(row.user));
      await db.batch([
        db.delete(sessions).where(eq(sessions.id, row.session.id)),
        auditInsert(db, c, { action: 'auth.logout', resourceType: 'user', resourceId: row.user.id }),
      ]);
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true }, 200);
  });

// Hashed once per isolate, only to spend on unknown emails the time a real check takes.
let dummy: string | undefined;
const dummyHash = async () => (dummy ??= await hashPassword('not-a-password-of-anyone'));
