import { env, SELF } from 'cloudflare:test';

export const BASE = 'http://gennaker.test';

/** Calls the Worker the way a client does; `token` adds `Authorization: Bearer`. */
export async function api(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await SELF.fetch(`${BASE}/api/v1${path}`, { method, headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, headers: res.headers, text };
}

/** Bootstraps an admin and returns its admin API token. */
export async function adminToken(email = 'admin@gennaker.test'): Promise<string> {
  const res = await api('POST', '/bootstrap', {
    body: { email, password: 'correct-horse-battery-staple' },
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
