import { eq } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { apiTokens, sessions, users } from '../../db/schema.ts';
import type { AppEnv } from '../env.ts';
import { forbidden, unauthorized } from '../errors.ts';
import { database } from '../lib/db.ts';
import type { Principal, Scope } from './principal.ts';
import { parseSecret, secretMatches, sha256Hex } from './secrets.ts';

export const SESSION_COOKIE = 'gennaker_session';
export const CSRF_HEADER = 'X-CSRF-Token';

/** The CSRF token of a session: derived from the cookie's secret, so it needs no storage. */
export async function csrfTokenFor(sessionSecret: string): Promise<string> {
  return (await sha256Hex(`${sessionSecret}:csrf`)).slice(0, 32);
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller from `Authorization: Bearer gnk_…` or the session cookie. Cookie-borne
 * writes must echo the session's CSRF token in `X-CSRF-Token`, which another site cannot read.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const db = database(c.env.DB);
  const now = Date.now();
  const header = c.req.header('Authorization');
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthorized('Authorization header must be "Bearer <token>"');
    const parsed = parseSecret('gnk', m[1]!);
    if (!parsed) throw unauthorized('malformed API token');
    const row = await db.select().from(apiTokens).where(eq(apiTokens.id, parsed.id)).get();
    if (!row || !(await secretMatches(parsed.secret, row.secretHash))) throw unauthorized('unknown API token');
    if (row.revokedAt !== null) throw unauthorized(`API token "${row.name}" was revoked`);
    if (row.expiresAt <= now) throw unauthorized(`API token "${row.name}" expired at ${new Date(row.expiresAt).toISOString()}`);
    c.set('principal', {
      type: 'token',
      id: row.id,
      name: `token:${row.name}`,
      scopes: row.scopes as Scope[],
      applications: row.applications,
    });
    await next();
    // Only requests that succeeded leave a trace, so a rejected request writes nothing.
    if (c.res.status < 400 && (row.lastUsedAt === null || now - row.lastUsedAt > 60_000)) {
      c.executionCtx.waitUntil(db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)).run());
    }
    return;
  }

  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) throw unauthorized('sign in, or send "Authorization: Bearer <token>"');
  const parsed = parseSecret('gns', cookie);
  if (!parsed) throw unauthorized('malformed session cookie; sign in again');
  const row = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, parsed.id))
    .get();
  if (!row || !(await secretMatches(parsed.secret, row.session.secretHash))) throw unauthorized('session not found; sign in again');
  if (row.session.expiresAt <= now) throw unauthorized('session expired; sign in again');
  if (row.user.disabledAt !== null) throw unauthorized('user is disabled');
  if (!SAFE.has(c.req.method) && c.req.header(CSRF_HEADER) !== (await csrfTokenFor(parsed.secret))) {
    throw forbidden(`missing or wrong ${CSRF_HEADER} header for a cookie-authenticated write`);
  }
  c.set('principal', userPrincipal(row.user));
  await next();
});

export function userPrincipal(user: { id: string; email: string; role: 'admin' | 'member' }): Principal {
  return {
    type: 'user',
    id: user.id,
    name: user.email,
    scopes: user.role === 'admin' ? ['admin'] : ['read', 'write', 'execute'],
    applications: null,
  };
}
