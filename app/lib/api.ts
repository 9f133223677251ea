import { error, redirect } from '@sveltejs/kit';
import { hc, type ClientResponse } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Application } from '../../contract/applications.ts';
import type { ErrorBody } from '../../contract/errors.ts';
import type { Pipeline, PipelineVersion } from '../../contract/pipelines.ts';
import type { ApiV1 } from '../../edge/app.ts';
import type { tokenSchema } from '../../edge/routes/tokens.ts';

export type { Application, Pipeline, PipelineVersion };
export type Token = z.infer<typeof tokenSchema>;

/** An API failure as the console sees it: the edge's `{error: {code, message, field?}}` plus the status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly requestId: string | undefined;
  constructor(status: number, code: string, message: string, field?: string, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** The session's CSRF token; the edge refuses cookie-authenticated writes without it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 (the session ended), so the shell can send the user to sign in. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** The typed client of `/api/v1`; every request carries the CSRF header once signed in. */
export const api = hc<ApiV1>('/api/v1', {
  headers: (): Record<string, string> => (csrfToken ? { 'X-CSRF-Token': csrfToken } : {}),
  init: { credentials: 'same-origin' },
});

type Success<R> = R extends ClientResponse<infer T, infer S, 'json'> ? (S extends SuccessStatusCode ? T : never) : never;

/** Awaits a client call and returns its success body, or throws {@link ApiError}. */
export async function call<R extends ClientResponse<unknown, number, string>>(request: Promise<R>): Promise<Success<R>> {
  let res: R;
  try {
    res = await request;
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the Gennaker API (${(err as Error).message})`);
  }
  if (res.ok) return (await res.json()) as Success<R>;
  const body = (await res.json().catch(() => null)) as Partial<ErrorBody> | null;
  const e = body?.error;
  if (res.status === 401) onUnauthorized?.();
  throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? `${res.status} ${res.statusText}`, e?.field, e?.requestId);
}

/** For `load` functions: turns a failed call into SvelteKit's error page, or sign-in when the session ended. */
export function pageError(err: unknown): never {
  if (err instanceof ApiError) {
    if (err.status === 401) redirect(307, `/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    error(err.status || 503, { message: err.message });
  }
  throw err;
}

/** The message of any thrown value, for banners. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
