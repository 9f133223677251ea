import { env, SELF } from 'cloudflare:test';

export const BASE = 'http://gennaker.test';
/** The password every test user gets. */
export const PASSWORD = 'correct-horse-battery-staple';

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON (with `Content-Type: application/json` unless `headers` says otherwise). */
  body?: unknown;
  /** Sent as is, for bodies that are not JSON. */
  raw?: string;
  headers?: Record<string, string>;
}

/** Calls `/api/v1` the way a client does. */
export const api = (method: string, path: string, opts: CallOptions = {}) => call('/api/v1', method, path, opts);

/** Calls the agent protocol, `/api/agent/v1`, the way an agent does. */
export const agentApi = (method: string, path: string, opts: CallOptions = {}) => call('/api/agent/v1', method, path, opts);

async function call(prefix: string, method: string, path: string, opts: CallOptions) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await SELF.fetch(`${BASE}${prefix}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, headers: res.headers, text };
}

const admins = new Map<string, Promise<string>>();

/**
 * Bootstraps an admin and returns its admin API token. Bootstrapping hashes a password, which is
 * slow on purpose, so each email is bootstrapped once per test run and its token reused.
 */
export function adminToken(email = 'admin@gennaker.test'): Promise<string> {
  let token = admins.get(email);
  if (!token) {
    token = bootstrapAdmin(email);
    admins.set(email, token);
  }
  return token;
}

async function bootstrapAdmin(email: string): Promise<string> {
  const res = await api('POST', '/bootstrap', {
    body: { email, password: PASSWORD },
    headers: { 'x-bootstrap-secret': env.GENNAKER_BOOTSTRAP_SECRET! },
  });
  if (res.status !== 201) throw new Error(`bootstrap failed: ${res.status} ${res.text}`);
  return res.json.token as string;
}

/** Counts rows of a table, to assert that a rejected request wrote nothing. */
export async function rowCount(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

/** A name no other test uses, valid as an application name (lowercase letters and digits). */
export function uniq(prefix = 'app'): string {
  return `${prefix}${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`.replace(/[^a-z0-9]/g, 'x');
}

/** Creates an API token through the API (as `admin`) and returns its secret. */
export async function tokenWith(admin: string, body: { scopes: string[]; applications?: string[] | null; name?: string; expiresInDays?: number }) {
  const res = await api('POST', '/tokens', { token: admin, body: { name: body.name ?? uniq('t'), ...body } });
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${res.text}`);
  return { secret: res.json.secret as string, id: res.json.token.id as string };
}

/** Creates an application through the API and returns its name. */
export async function createApp(token: string, name = uniq()): Promise<string> {
  const res = await api('POST', '/applications', { token, body: { name } });
  if (res.status !== 201) throw new Error(`application create failed: ${res.status} ${res.text}`);
  return name;
}

/** A console session: the cookie to send back and the CSRF token writes must echo. */
export interface Session {
  cookie: string;
  csrf: string;
}

/** Signs in with email and password, as the console does. */
export async function login(email: string, password: string): Promise<Session> {
  const res = await api('POST', '/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  const cookie = (res.headers.get('Set-Cookie') ?? '').split(';')[0]!;
  return { cookie, csrf: res.json.csrfToken as string };
}

/** Counts the audit rows with `action`, to assert that a write was (or was not) recorded. */
export async function auditCount(action: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM audit_events WHERE action = ?').bind(action).first<{ n: number }>();
  return row?.n ?? 0;
}

