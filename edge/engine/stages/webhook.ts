/**
 * `webhook`: calls an HTTP endpoint and, with `waitForCompletion`, polls a status URL until the
 * remote work reports a success, canceled or terminal status (Orca's CreateWebhookTask and
 * MonitorWebhookTask). Every call goes through the injected `rt.fetch`.
 *
 * Idempotence: a repeated `start` or a repeated poll of the `send` phase sends the webhook again,
 * as Orca does after a crash (remote endpoints must tolerate duplicates); a repeated monitor poll
 * only reads the status again.
 */
import { z } from 'zod';
import { webhook as webhookType } from '../../../contract/stages/webhook.ts';
import { readJsonPath } from '../json-path.ts';
import type { StageBehaviour, StageError, StageRuntime, StageStep } from '../types.ts';

const contextSchema = z.object(webhookType.fields);
type WebhookContext = z.output<typeof contextSchema>;

const DEFAULT_POLL_INTERVAL_SEC = 5;
/** Tries of one request (the webhook itself, or consecutive status reads) before giving up. */
const MAX_ATTEMPTS = 5;
const MAX_BACKOFF_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CANCEL_TIMEOUT_MS = 10_000;
/** Retried whatever `retryStatusCodes` says: rate limits and gateway trouble. */
const DEFAULT_RETRY_CODES: readonly number[] = [429, 502, 503, 504];
const BODY_OUTPUT_BYTES = 64 * 1024;
/** Read at most this much of a response; a status document larger than this is not JSON to us. */
const BODY_READ_BYTES = 1024 * 1024;
const EXCERPT_CHARS = 300;

/** Carried between polls in `meta.state`. `failures` counts failed tries in a row. */
type WebhookState =
  | { phase: 'send'; failures: number }
  | { phase: 'monitor'; statusUrl: string; failures: number };

interface ReadBody {
  /** Parsed JSON when the body is JSON, else undefined. */
  json: unknown;
  text: string;
  /** The body as outputs keep it: JSON, or text bounded to 64 KiB. */
  output: { body?: unknown; bodyTruncated?: true };
}

/** The `webhook` stage behaviour. */
export const webhook: StageBehaviour = {
  type: 'webhook',

  async start(rt) {
    const parsed = parseContext(rt.stage.context);
    if (!parsed.ok) return { status: 'FAILED', error: parsed.error };
    return send(rt, parsed.ctx, 0);
  },

  async poll(rt) {
    const parsed = parseContext(rt.stage.context);
    if (!parsed.ok) return { status: 'FAILED', error: parsed.error };
    const state = readState(rt.stage.meta.state);
    return state.phase === 'send' ? send(rt, parsed.ctx, state.failures) : monitor(rt, parsed.ctx, state);
  },

  async cancel(rt) {
    const parsed = parseContext(rt.stage.context);
    const endpoint = parsed.ok ? parsed.ctx.cancelEndpoint : undefined;
    if (!parsed.ok || !endpoint) return;
    const { cancelMethod, customHeaders, cancelPayload } = parsed.ctx;
    // Best effort, bounded by a timeout: a failure is thrown for the engine to log; the stage is canceled regardless.
    const res = await rt.fetch(endpoint, requestInit(cancelMethod ?? 'POST', customHeaders, cancelPayload, CANCEL_TIMEOUT_MS));
    await res.body?.cancel();
    if (!res.ok) throw new Error(`cancel endpoint ${displayUrl(endpoint)} answered ${res.status}`);
  },
};

/** Sends the webhook; `failures` earlier tries have failed in a way worth retrying. */
async function send(rt: StageRuntime, ctx: WebhookContext, failures: number): Promise<StageStep> {
  const target = `${ctx.method} ${displayUrl(ctx.url)}`;
  let res: Response;
  let read: ReadBody;
  try {
    const manualRedirects = ctx.waitForCompletion && ctx.statusUrlResolution === 'locationHeader';
    res = await rt.fetch(ctx.url, { ...requestInit(ctx.method, ctx.customHeaders, ctx.payload, REQUEST_TIMEOUT_MS), redirect: manualRedirects ? 'manual' : 'follow' });
    read = await readBody(res);
  } catch (err) {
    return retryOrGiveUp(rt, ctx, { phase: 'send', failures }, `${target} failed: ${errorText(err)}`, {});
  }
  const code = res.status;
  const outputs = { webhook: { statusCode: code, ...read.output } };

  if (ctx.failFastStatusCodes?.includes(code)) {
    return fail('user', `${target} answered ${code}, which failFastStatusCodes lists${excerpt(read)}`, outputs, 'failFastStatusCodes');
  }
  if (isRetryCode(code, ctx)) {
    return retryOrGiveUp(rt, ctx, { phase: 'send', failures }, `${target} answered ${code}${excerpt(read)}`, outputs, res);
  }
  // 3xx is only seen with manual redirects (Location-header resolution): the work was accepted.
  if (code >= 400 || code < 200) {
    return fail(code >= 500 ? 'transient' : 'user', `${target} answered ${code}${excerpt(read)}`, outputs);
  }
  if (!ctx.waitForCompletion) return { status: 'SUCCEEDED', outputs };

  const statusUrl = resolveStatusUrl(ctx, res, read);
  if (typeof statusUrl !== 'string') return { status: 'FAILED', error: statusUrl, outputs };
  return {
    status: 'RUNNING',
    retryAfterMs: ctx.waitBeforeMonitor !== undefined ? ctx.waitBeforeMonitor * 1000 : pollIntervalMs(ctx),
    outputs: { webhook: { ...outputs.webhook, statusEndpoint: statusUrl } },
    state: { phase: 'monitor', statusUrl, failures: 0 } satisfies WebhookState,
  };
}

/** Reads the status URL once and judges the status it reports. */
async function monitor(rt: StageRuntime, ctx: WebhookContext, state: Extract<WebhookState, { phase: 'monitor' }>): Promise<StageStep> {
  const target = `GET ${displayUrl(state.statusUrl)}`;
  const previous = (rt.stage.outputs.webhook ?? {}) as Record<string, unknown>;
  let res: Response;
  let read: ReadBody;
  try {
    res = await rt.fetch(state.statusUrl, requestInit('GET', ctx.customHeaders, undefined, REQUEST_TIMEOUT_MS));
    read = await readBody(res);
  } catch (err) {
    return retryOrGiveUp(rt, ctx, state, `status check ${target} failed: ${errorText(err)}`, {});
  }
  const code = res.status;
  const seen = { statusCode: code, ...read.output };
  const withMonitor = (monitor: Record<string, unknown>) => ({ webhook: { ...previous, monitor } });

  // Orca retries every 5xx while monitoring: reading a status twice does no harm.
  if (isRetryCode(code, ctx) || code >= 500) {
    return retryOrGiveUp(rt, ctx, state, `status check ${target} answered ${code}${excerpt(read)}`, withMonitor(seen), res);
  }
  if (code < 200 || code >= 300) return fail('user', `status check ${target} answered ${code}${excerpt(read)}`, withMonitor(seen));
  if (read.json === undefined) {
    return fail('user', `status check ${target} did not answer JSON, so statusJsonPath cannot be read${excerpt(read)}`, withMonitor(seen), 'statusJsonPath');
  }

  const statusPath = ctx.statusJsonPath ?? '';
  const status = readJsonPath(read.json, statusPath);
  if (!status.ok) return fail('user', status.reason, withMonitor(seen), 'statusJsonPath');
  if (!status.found) return fail('user', `statusJsonPath '${statusPath}' matched nothing in the status response${excerpt(read)}`, withMonitor(seen), 'statusJsonPath');
  if (!isScalar(status.value)) {
    return fail('user', `statusJsonPath '${statusPath}' matched ${JSON.stringify(status.value).slice(0, 100)}, not a single string, number or boolean`, withMonitor(seen), 'statusJsonPath');
  }
  let progress: unknown;
  if (ctx.progressJsonPath) {
    const p = readJsonPath(read.json, ctx.progressJsonPath);
    if (!p.ok) return fail('user', p.reason, withMonitor(seen), 'progressJsonPath');
    // Progress often appears only once the work is under way: a miss is not an error.
    if (p.found) progress = p.value;
  }

  const verdict = judgeStatus(status.value, ctx);
  const outputs = withMonitor({
    ...seen,
    status: status.value,
    ...(progress !== undefined ? { progress } : {}),
    ...(typeof status.value === 'number' ? { percentComplete: status.value } : {}),
  });
  switch (verdict) {
    case 'SUCCEEDED':
      return { status: 'SUCCEEDED', outputs };
    case 'CANCELED':
      return { status: 'CANCELED', outputs };
    case 'TERMINAL':
      return fail('user', `the remote work ended with terminal status '${String(status.value)}'`, outputs);
    case 'RUNNING':
      return { status: 'RUNNING', retryAfterMs: pollIntervalMs(ctx), outputs, state: { ...state, failures: 0 } satisfies WebhookState };
    default: {
      const never: never = verdict;
      throw new Error(`unknown verdict ${String(never)}`);
    }
  }
}

/** A reported status against the stage's lists (case-insensitive; terminal beats canceled beats success). */
export function judgeStatus(
  status: string | number | boolean,
  lists: Pick<WebhookContext, 'successStatuses' | 'canceledStatuses' | 'terminalStatuses'>,
): 'SUCCEEDED' | 'CANCELED' | 'TERMINAL' | 'RUNNING' {
  const key = String(status).trim().toUpperCase();
  const listed = (csv: string | undefined) => (csv ?? '').split(',').some((s) => s.trim().toUpperCase() === key && key !== '');
  if (listed(lists.terminalStatuses)) return 'TERMINAL';
  if (listed(lists.canceledStatuses)) return 'CANCELED';
  if (listed(lists.successStatuses)) return 'SUCCEEDED';
  // Orca reads a bare number as percent complete.
  if (typeof status === 'number') return status >= 100 ? 'SUCCEEDED' : 'RUNNING';
  return 'RUNNING';
}

/** The stage context, parsed by the contract's schema and checked before anything is sent. */
function parseContext(context: Record<string, unknown>): { ok: true; ctx: WebhookContext } | { ok: false; error: StageError } {
  const parsed = contextSchema.safeParse(context);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    return { ok: false, error: { kind: 'user', message: `${field ?? 'context'}: ${issue?.message ?? 'invalid'}`, ...(field ? { field } : {}) } };
  }
  const ctx = parsed.data;
  const badUrl = (u: string) => {
    try {
      return !['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      return true;
    }
  };
  const userError = (field: string, message: string) => ({ ok: false, error: { kind: 'user', message: `${field}: ${message}`, field } }) as const;
  try {
    new Headers(ctx.customHeaders);
  } catch (err) {
    return userError('customHeaders', errorText(err));
  }
  if (badUrl(ctx.url)) return userError('url', `'${ctx.url.slice(0, 200)}' is not an http(s) URL`);
  if (ctx.cancelEndpoint && badUrl(ctx.cancelEndpoint)) return userError('cancelEndpoint', 'not an http(s) URL');
  if (ctx.waitForCompletion) {
    if (!ctx.statusJsonPath) return userError('statusJsonPath', 'required to wait for completion (e.g. $.status)');
    if (!ctx.successStatuses?.trim()) return userError('successStatuses', 'required to wait for completion (e.g. SUCCESS)');
    if (ctx.statusUrlResolution === 'webhookResponse' && !ctx.statusUrlJsonPath) {
      return userError('statusUrlJsonPath', 'required when the status URL is read from the webhook response');
    }
  }
  return { ok: true, ctx };
}

function readState(state: Record<string, unknown> | undefined): WebhookState {
  const failures = typeof state?.failures === 'number' ? state.failures : 0;
  if (state?.phase === 'monitor' && typeof state.statusUrl === 'string') return { phase: 'monitor', statusUrl: state.statusUrl, failures };
  return { phase: 'send', failures };
}

/** Where to poll: the webhook URL, its response's Location header, or a URL inside its JSON. */
function resolveStatusUrl(ctx: WebhookContext, res: Response, read: ReadBody): string | StageError {
  const resolution = ctx.statusUrlResolution ?? 'getMethod';
  let raw: string;
  switch (resolution) {
    case 'getMethod':
      return ctx.url;
    case 'locationHeader': {
      const location = res.headers.get('location');
      if (!location) return { kind: 'user', message: `the webhook response (${res.status}) has no Location header to poll`, field: 'statusUrlResolution' };
      raw = location;
      break;
    }
    case 'webhookResponse': {
      const path = ctx.statusUrlJsonPath ?? '';
      const found = read.json === undefined ? ({ ok: true, found: false } as const) : readJsonPath(read.json, path);
      if (!found.ok) return { kind: 'user', message: found.reason, field: 'statusUrlJsonPath' };
      if (!found.found || typeof found.value !== 'string' || !found.value) {
        return { kind: 'user', message: `statusUrlJsonPath '${path}' found no URL in the webhook response${excerpt(read)}`, field: 'statusUrlJsonPath' };
      }
      raw = found.value;
      break;
    }
    default: {
      const never: never = resolution;
      throw new Error(`unknown statusUrlResolution ${String(never)}`);
    }
  }
  // A relative status URL is relative to the webhook's.
  try {
    return new URL(raw, ctx.url).href;
  } catch {
    return { kind: 'user', message: `the status URL '${raw.slice(0, 200)}' is not a URL`, field: resolution === 'locationHeader' ? 'statusUrlResolution' : 'statusUrlJsonPath' };
  }
}

/** Waits and tries again, backing off, or fails once `MAX_ATTEMPTS` tries in a row have failed. */
function retryOrGiveUp(
  rt: StageRuntime,
  ctx: WebhookContext,
  state: WebhookState,
  reason: string,
  outputs: Record<string, unknown>,
  res?: Response,
): StageStep {
  const failures = state.failures + 1;
  if (failures >= MAX_ATTEMPTS) return fail('transient', `${reason} (gave up after ${failures} tries)`, outputs);
  const backoffMs = Math.min(MAX_BACKOFF_MS, pollIntervalMs(ctx) * 2 ** (failures - 1));
  const retryAfterMs = Math.min(MAX_BACKOFF_MS, Math.max(backoffMs, res ? retryAfterHeaderMs(res, rt.now) : 0));
  return { status: 'RUNNING', retryAfterMs, outputs, state: { ...state, failures } };
}

const isRetryCode = (code: number, ctx: WebhookContext) => DEFAULT_RETRY_CODES.includes(code) || (ctx.retryStatusCodes?.includes(code) ?? false);

const pollIntervalMs = (ctx: WebhookContext) => (ctx.pollIntervalSec ?? DEFAULT_POLL_INTERVAL_SEC) * 1000;

/** A `Retry-After` header (seconds or an HTTP date) in ms from now; 0 when absent or unreadable. */
function retryAfterHeaderMs(res: Response, nowMs: number): number {
  const value = res.headers.get('retry-after')?.trim();
  if (!value) return 0;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 0 : Math.max(0, at - nowMs);
}

function requestInit(method: string, customHeaders: Record<string, string> | undefined, payload: unknown, timeoutMs: number): RequestInit {
  const headers = new Headers(customHeaders);
  let body: string | undefined;
  if (payload !== undefined && method !== 'GET' && method !== 'HEAD') {
    // A string payload goes as written; anything else as JSON.
    body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    if (typeof payload !== 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return { method, headers, body, signal: AbortSignal.timeout(timeoutMs) };
}

/** Reads at most `BODY_READ_BYTES` of a response, keeping JSON parsed and text bounded for outputs. */
async function readBody(res: Response): Promise<ReadBody> {
  const bytes = await readBytes(res, BODY_READ_BYTES);
  const text = new TextDecoder().decode(bytes.data);
  let json: unknown;
  if (!bytes.cut && text.trim()) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!text) return { json, text, output: {} };
  if (bytes.data.byteLength <= BODY_OUTPUT_BYTES) return { json, text, output: { body: json ?? text } };
  const bounded = new TextDecoder().decode(bytes.data.subarray(0, BODY_OUTPUT_BYTES));
  return { json, text, output: { body: bounded, bodyTruncated: true } };
}

async function readBytes(res: Response, limit: number): Promise<{ data: Uint8Array; cut: boolean }> {
  if (!res.body) return { data: new Uint8Array(), cut: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      cut = true;
      await reader.cancel();
      break;
    }
  }
  const data = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, Math.min(c.byteLength, data.byteLength - at));
    data.set(part, at);
    at += part.byteLength;
  }
  return { data, cut };
}

function fail(kind: StageError['kind'], message: string, outputs: Record<string, unknown>, field?: string): StageStep {
  return { status: 'FAILED', error: { kind, message, ...(field ? { field } : {}) }, outputs };
}

const isScalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

/** A URL without its query: query strings often carry tokens, and errors are shown to everyone. */
function displayUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}`;
  } catch {
    return u.slice(0, 200);
  }
}

function excerpt(read: ReadBody): string {
  const t = read.text.replace(/\s+/g, ' ').trim();
  if (!t) return '';
  return `: ${t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS)}…` : t}`;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err));
