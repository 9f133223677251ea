import { describe, expect, it } from 'vitest';
import type { ExecutionState, StageRuntime, StageState, StageStep } from '../types.ts';
import { judgeStatus, webhook } from './webhook.ts';

const NOW = Date.parse('2026-01-05T10:00:00Z');
const HOOK = 'https://hooks.example/build';

type Reply =
  | { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | { networkError: string }
  | { brokenBody: true };

interface Call { method: string; url: string; headers: Record<string, string>; body: string; redirect: string; hasSignal: boolean }

/** A tiny HTTP responder keyed by "METHOD url": each route serves its replies in order, the last one repeating. */
function remote(routes: Record<string, Reply[]>) {
  const calls: Call[] = [];
  const served = new Map<string, number>();
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const call = { method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body: await req.text(), redirect: req.redirect, hasSignal: init?.signal instanceof AbortSignal };
    calls.push(call);
    const key = `${call.method} ${call.url}`;
    const replies = routes[key];
    if (!replies?.length) throw new Error(`unexpected request ${key}`);
    const n = served.get(key) ?? 0;
    served.set(key, n + 1);
    const reply = replies[Math.min(n, replies.length - 1)]!;
    if ('networkError' in reply) throw new TypeError(reply.networkError);
    if ('brokenBody' in reply) {
      const stream = new ReadableStream({ start: (c) => c.error(new TypeError('connection lost mid-body')) });
      return new Response(stream, { status: 200 });
    }
    const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? null);
    return new Response(body, { status: reply.status ?? 200, headers: reply.headers });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const execution: ExecutionState = {
  id: 'exec-1', application: 'shop', pipelineId: 'pipe-1', name: 'Deploy', status: 'RUNNING', config: {},
  trigger: { type: 'manual', user: 'ana@example.com', parameters: {} }, parameters: {},
  createdAt: NOW, startedAt: NOW, endedAt: null, canceledBy: null, cancelReason: null, pausedAt: null, startTimeExpiry: null, timeZone: 'UTC',
};

const stageWith = (context: Record<string, unknown>): StageState => ({
  id: 'stage-1', executionId: execution.id, refId: '1', type: 'webhook', name: 'Call hook', status: 'RUNNING',
  requisiteStageRefIds: [], context: { refId: '1', type: 'webhook', name: 'Call hook', ...context }, outputs: {},
  error: null, startedAt: NOW, endedAt: null, meta: {},
});

const unused = async (): Promise<never> => {
  throw new Error('not used by the webhook stage');
};

function runtime(stage: StageState, fetch: typeof globalThis.fetch, now = NOW): StageRuntime {
  return {
    now, execution, stage, stages: [stage], fetch,
    startChild: unused, cancelChild: unused, childStatus: unused,
    evaluate: () => ({ ok: false, reason: 'not used by the webhook stage' }),
    agent: { enqueue: unused, outcome: unused, cancelQueued: unused },
    inventory: { cluster: unused, trafficGuards: unused },
  };
}

/** Records a step as the engine does: outputs merged at the top level, state replaced when given. */
const after = (stage: StageState, step: StageStep): StageState => ({
  ...stage,
  outputs: { ...stage.outputs, ...step.outputs },
  meta: { ...stage.meta, state: 'state' in step && step.state ? step.state : stage.meta.state },
});

/** Starts the stage and polls it until it stops asking for more, like the engine's runStage loop. */
async function run(context: Record<string, unknown>, routes: Record<string, Reply[]>, maxSteps = 12) {
  const { calls, fetch } = remote(routes);
  let stage = stageWith(context);
  const steps: StageStep[] = [];
  let step = await webhook.start(runtime(stage, fetch));
  for (;;) {
    steps.push(step);
    stage = after(stage, step);
    if (step.status !== 'RUNNING' || steps.length >= maxSteps) break;
    step = await webhook.poll!(runtime(stage, fetch, NOW + steps.length * 60_000));
  }
  const last = steps.at(-1)!;
  return { last, steps, stage, calls, waits: steps.flatMap((s) => (s.status === 'RUNNING' ? [s.retryAfterMs] : [])) };
}

const post = (url = HOOK) => `POST ${url}`;
const get = (url = HOOK) => `GET ${url}`;
const errorOf = (step: StageStep) => (step.status === 'FAILED' ? step.error : null);

describe('webhook: the request', () => {
  it('fire and forget: succeeds on 2xx with status code and parsed body', async () => {
    const r = await run({ url: HOOK }, { [post()]: [{ status: 201, json: { id: 7 } }] });
    expect(r.last).toEqual({ status: 'SUCCEEDED', outputs: { webhook: { statusCode: 201, body: { id: 7 } } } });
    expect(r.calls).toHaveLength(1);
  });

  it('keeps a text body as text and omits an empty one', async () => {
    expect((await run({ url: HOOK }, { [post()]: [{ text: 'queued' }] })).stage.outputs).toEqual({ webhook: { statusCode: 200, body: 'queued' } });
    expect((await run({ url: HOOK }, { [post()]: [{ status: 204 }] })).stage.outputs).toEqual({ webhook: { statusCode: 204 } });
  });

  it('bounds a large body to 64 KiB in outputs', async () => {
    const r = await run({ url: HOOK }, { [post()]: [{ text: 'x'.repeat(100_000) }] });
    const out = r.stage.outputs.webhook as { body: string; bodyTruncated: boolean };
    expect(out.body).toHaveLength(64 * 1024);
    expect(out.bodyTruncated).toBe(true);
  });

  it('sends the method, custom headers and JSON payload, with a timeout', async () => {
    const r = await run(
      { url: HOOK, method: 'PUT', customHeaders: { 'X-Token': 's3cret' }, payload: { version: '1.2.3', tags: ['a'] } },
      { [`PUT ${HOOK}`]: [{ status: 200 }] },
    );
    expect(r.last.status).toBe('SUCCEEDED');
    expect(r.calls[0]).toMatchObject({ method: 'PUT', url: HOOK, headers: { 'x-token': 's3cret', 'content-type': 'application/json' }, hasSignal: true });
    expect(JSON.parse(r.calls[0]!.body)).toEqual({ version: '1.2.3', tags: ['a'] });
  });

  it('keeps a custom content type, sends a string payload as written, and no body with GET', async () => {
    const xml = await run({ url: HOOK, customHeaders: { 'Content-Type': 'application/xml' }, payload: '<build/>' }, { [post()]: [{}] });
    expect(xml.calls[0]).toMatchObject({ headers: { 'content-type': 'application/xml' }, body: '<build/>' });
    const plain = await run({ url: HOOK, method: 'GET', payload: { ignored: true } }, { [get()]: [{}] });
    expect(plain.calls[0]!.body).toBe('');
  });

  it('fails at once on a fail-fast status code, naming it', async () => {
    const r = await run({ url: HOOK, failFastStatusCodes: [418, 503] }, { [post()]: [{ status: 503, text: 'teapot trouble' }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'user', field: 'failFastStatusCodes' });
    expect(errorOf(r.last)!.message).toContain('503');
    expect(r.calls).toHaveLength(1);
    expect(r.stage.outputs.webhook).toEqual({ statusCode: 503, body: 'teapot trouble' });
  });

  it('retries listed and default retry codes with backoff, then succeeds', async () => {
    const r = await run({ url: HOOK, retryStatusCodes: [409] }, { [post()]: [{ status: 409 }, { status: 503 }, { status: 429 }, { status: 200, json: { ok: true } }] });
    expect(r.last).toEqual({ status: 'SUCCEEDED', outputs: { webhook: { statusCode: 200, body: { ok: true } } } });
    expect(r.waits).toEqual([5_000, 10_000, 20_000]);
    expect(r.steps.map((s) => ('state' in s ? s.state : undefined))).toEqual([
      { phase: 'send', failures: 1 }, { phase: 'send', failures: 2 }, { phase: 'send', failures: 3 }, undefined,
    ]);
    expect(r.calls).toHaveLength(4);
  });

  it('waits at least as long as a Retry-After header asks', async () => {
    const r = await run({ url: HOOK }, { [post()]: [{ status: 429, headers: { 'Retry-After': '90' } }, { status: 200 }] });
    expect(r.waits).toEqual([90_000]);
  });

  it('retries network errors, before or during the body', async () => {
    const r = await run({ url: HOOK, pollIntervalSec: 2 }, { [post()]: [{ networkError: 'connection reset' }, { brokenBody: true }, { status: 200 }] });
    expect(r.waits).toEqual([2_000, 4_000]);
    expect(r.last.status).toBe('SUCCEEDED');
  });

  it('gives up after 5 tries as a transient failure', async () => {
    const r = await run({ url: HOOK }, { [post()]: [{ status: 502, text: 'bad gateway' }] });
    expect(r.calls).toHaveLength(5);
    expect(r.waits).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(errorOf(r.last)).toMatchObject({ kind: 'transient' });
    expect(errorOf(r.last)!.message).toMatch(/502.*gave up after 5 tries/);
  });

  it.each([
    { status: 404, kind: 'user' },
    { status: 422, kind: 'user' },
    { status: 500, kind: 'transient' },
  ])('fails on $status ($kind) with the code and an excerpt of the body', async ({ status, kind }) => {
    const r = await run({ url: `${HOOK}?token=hidden` }, { [post(`${HOOK}?token=hidden`)]: [{ status, json: { error: 'no such job' } }] });
    expect(r.calls).toHaveLength(1);
    expect(errorOf(r.last)).toMatchObject({ kind });
    expect(errorOf(r.last)!.message).toContain(`POST ${HOOK} answered ${status}: {"error":"no such job"}`);
    expect(errorOf(r.last)!.message).not.toContain('hidden');
  });

  it.each([
    { name: 'a URL that is not http(s)', context: { url: 'ftp://files.example/x' }, field: 'url' },
    { name: 'an unknown method', context: { url: HOOK, method: 'BREW' }, field: 'method' },
    { name: 'a malformed header name', context: { url: HOOK, customHeaders: { 'bad header': 'x' } }, field: 'customHeaders' },
    { name: 'waiting without statusJsonPath', context: { url: HOOK, waitForCompletion: true, successStatuses: 'OK' }, field: 'statusJsonPath' },
    { name: 'waiting without successStatuses', context: { url: HOOK, waitForCompletion: true, statusJsonPath: '$.status' }, field: 'successStatuses' },
    { name: 'webhookResponse without statusUrlJsonPath', context: { url: HOOK, waitForCompletion: true, statusJsonPath: '$.s', successStatuses: 'OK', statusUrlResolution: 'webhookResponse' }, field: 'statusUrlJsonPath' },
  ])('refuses $name before sending anything', async ({ context, field }) => {
    const r = await run(context, {});
    expect(errorOf(r.last)).toMatchObject({ kind: 'user', field });
    expect(r.calls).toHaveLength(0);
  });
});

const waiting = { waitForCompletion: true, statusJsonPath: '$.status', successStatuses: 'SUCCESS', canceledStatuses: 'ABORTED', terminalStatuses: 'FAILED' };

describe('webhook: waiting for completion', () => {
  it('getMethod: polls the same URL with GET, reporting progress, until success', async () => {
    const r = await run({ url: HOOK, ...waiting, progressJsonPath: '$.build.progress' }, {
      [post()]: [{ status: 201, json: { id: 7 } }],
      [get()]: [{ json: { status: 'RUNNING', build: { progress: '10%' } } }, { json: { status: 'RUNNING', build: { progress: '60%' } } }, { json: { status: 'SUCCESS', build: { progress: 'done' } } }],
    });
    expect(r.steps.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(r.waits).toEqual([5_000, 5_000, 5_000]);
    expect(r.calls.map((c) => `${c.method} ${c.url}`)).toEqual([post(), get(), get(), get()]);
    expect(r.steps[2]!.outputs).toMatchObject({ webhook: { monitor: { status: 'RUNNING', progress: '60%' } } });
    expect(r.stage.outputs).toEqual({
      webhook: {
        statusCode: 201, body: { id: 7 }, statusEndpoint: HOOK,
        monitor: { statusCode: 200, body: { status: 'SUCCESS', build: { progress: 'done' } }, status: 'SUCCESS', progress: 'done' },
      },
    });
  });

  it('locationHeader: polls the Location of the response, resolved against the webhook URL', async () => {
    const r = await run({ url: HOOK, ...waiting, statusUrlResolution: 'locationHeader' }, {
      [post()]: [{ status: 202, headers: { Location: '/jobs/7' } }],
      [get('https://hooks.example/jobs/7')]: [{ json: { status: 'success' } }],
    });
    expect(r.last.status).toBe('SUCCEEDED');
    expect(r.stage.outputs.webhook).toMatchObject({ statusEndpoint: 'https://hooks.example/jobs/7' });
  });

  it('locationHeader: a redirect is not followed but polled', async () => {
    const r = await run({ url: HOOK, ...waiting, statusUrlResolution: 'locationHeader' }, {
      [post()]: [{ status: 303, headers: { Location: 'https://status.example/q/1' } }],
      [get('https://status.example/q/1')]: [{ json: { status: 'SUCCESS' } }],
    });
    expect(r.calls[0]!.redirect).toBe('manual');
    expect(r.last.status).toBe('SUCCEEDED');
  });

  it('locationHeader: no Location header is a user error', async () => {
    const r = await run({ url: HOOK, ...waiting, statusUrlResolution: 'locationHeader' }, { [post()]: [{ status: 202 }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'user', field: 'statusUrlResolution' });
  });

  it('webhookResponse: polls the URL found in the response JSON', async () => {
    const r = await run({ url: HOOK, ...waiting, statusUrlResolution: 'webhookResponse', statusUrlJsonPath: '$.links.status' }, {
      [post()]: [{ json: { links: { status: 'https://status.example/j/9' } } }],
      [get('https://status.example/j/9')]: [{ json: { status: 'RUNNING' } }, { json: { status: 'Success' } }],
    });
    expect(r.steps.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING', 'SUCCEEDED']);
  });

  it('webhookResponse: a path that finds no URL is a user error on statusUrlJsonPath', async () => {
    const r = await run({ url: HOOK, ...waiting, statusUrlResolution: 'webhookResponse', statusUrlJsonPath: '$.links.status' }, { [post()]: [{ json: { links: {} } }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'user', field: 'statusUrlJsonPath' });
  });

  it('waits waitBeforeMonitor seconds before the first status read, then pollIntervalSec', async () => {
    const r = await run({ url: HOOK, ...waiting, waitBeforeMonitor: 30, pollIntervalSec: 7 }, {
      [post()]: [{}],
      [get()]: [{ json: { status: 'QUEUED' } }, { json: { status: 'SUCCESS' } }],
    });
    expect(r.waits).toEqual([30_000, 7_000]);
  });

  it.each([
    { reported: 'success', outcome: 'SUCCEEDED' },
    { reported: 'Done', outcome: 'SUCCEEDED' },
    { reported: 'ABORTED', outcome: 'CANCELED' },
    { reported: 'aborted', outcome: 'CANCELED' },
    { reported: 'failed', outcome: 'FAILED' },
    { reported: 'Error', outcome: 'FAILED' },
    { reported: 'pending', outcome: 'RUNNING' },
  ])('status $reported → $outcome (lists are case-insensitive)', async ({ reported, outcome }) => {
    const context = { url: HOOK, ...waiting, successStatuses: 'SUCCESS, done', canceledStatuses: 'aborted', terminalStatuses: 'FAILED,error' };
    const r = await run(context, { [post()]: [{}], [get()]: [{ json: { status: reported } }] }, 2);
    expect(r.last.status).toBe(outcome);
    expect(r.stage.outputs.webhook).toMatchObject({ monitor: { status: reported } });
    if (outcome === 'FAILED') {
      expect(errorOf(r.last)).toMatchObject({ kind: 'user' });
      expect(errorOf(r.last)!.message).toContain(`'${reported}'`);
    }
  });

  it('reads a bare number as percent complete', async () => {
    const r = await run({ url: HOOK, ...waiting, statusJsonPath: 'percent' }, { [post()]: [{}], [get()]: [{ json: { percent: 40 } }, { json: { percent: 100 } }] });
    expect(r.steps.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(r.steps[1]!.outputs).toMatchObject({ webhook: { monitor: { status: 40, percentComplete: 40 } } });
  });

  it.each([
    { name: 'matches nothing', body: { state: 'SUCCESS' }, path: '$.status' },
    { name: 'matches an object', body: { status: { phase: 'SUCCESS' } }, path: '$.status' },
    { name: 'is not JSONPath', body: { status: 'SUCCESS' }, path: '$.[' },
  ])('a statusJsonPath that $name is a user error on statusJsonPath', async ({ body, path }) => {
    const r = await run({ url: HOOK, ...waiting, statusJsonPath: path }, { [post()]: [{}], [get()]: [{ json: body }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'user', field: 'statusJsonPath' });
  });

  it('a status response that is not JSON is a user error on statusJsonPath', async () => {
    const r = await run({ url: HOOK, ...waiting }, { [post()]: [{}], [get()]: [{ text: '<html>login</html>' }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'user', field: 'statusJsonPath' });
  });

  it('a progress path that matches nothing yet is no error', async () => {
    const r = await run({ url: HOOK, ...waiting, progressJsonPath: '$.progress' }, { [post()]: [{}], [get()]: [{ json: { status: 'QUEUED' } }, { json: { status: 'SUCCESS', progress: 100 } }] });
    expect(r.steps[1]!.outputs).toEqual({ webhook: { statusCode: 200, statusEndpoint: HOOK, monitor: { statusCode: 200, body: { status: 'QUEUED' }, status: 'QUEUED' } } });
    expect(r.last.status).toBe('SUCCEEDED');
  });

  it('retries a failing status endpoint and resets the count after a good read', async () => {
    const r = await run({ url: HOOK, ...waiting }, {
      [post()]: [{}],
      [get()]: [{ status: 500 }, { networkError: 'timeout' }, { json: { status: 'RUNNING' } }, { status: 503 }, { json: { status: 'SUCCESS' } }],
    });
    expect(r.waits).toEqual([5_000, 5_000, 10_000, 5_000, 5_000]);
    expect(r.last.status).toBe('SUCCEEDED');
  });

  it('gives up on a status endpoint failing 5 times in a row', async () => {
    const r = await run({ url: HOOK, ...waiting }, { [post()]: [{}], [get()]: [{ status: 500 }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'transient' });
    expect(r.calls.filter((c) => c.method === 'GET')).toHaveLength(5);
  });

  it('fails on a 4xx from the status endpoint', async () => {
    const r = await run({ url: HOOK, ...waiting }, { [post()]: [{}], [get()]: [{ status: 404, text: 'gone' }] });
    expect(errorOf(r.last)).toMatchObject({ kind: 'user' });
    expect(errorOf(r.last)!.message).toContain('404: gone');
  });

  it('a poll that runs twice reads twice and comes to the same step', async () => {
    const { calls, fetch } = remote({ [post()]: [{}], [get()]: [{ json: { status: 'RUNNING' } }] });
    const stage = after(stageWith({ url: HOOK, ...waiting }), await webhook.start(runtime(stageWith({ url: HOOK, ...waiting }), fetch)));
    const once = await webhook.poll!(runtime(stage, fetch));
    const twice = await webhook.poll!(runtime(stage, fetch));
    expect(twice).toEqual(once);
    expect(calls.map((c) => c.method)).toEqual(['POST', 'GET', 'GET']);
  });
});

describe('webhook: cancel', () => {
  it('calls the cancel endpoint with its method, payload and the custom headers, bounded in time', async () => {
    const { calls, fetch } = remote({ [`DELETE https://hooks.example/jobs/7`]: [{ status: 202 }] });
    const context = { url: HOOK, customHeaders: { 'X-Token': 't' }, cancelEndpoint: 'https://hooks.example/jobs/7', cancelMethod: 'DELETE', cancelPayload: { reason: 'pipeline canceled' } };
    await webhook.cancel!(runtime(stageWith(context), fetch));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'DELETE', headers: { 'x-token': 't', 'content-type': 'application/json' }, hasSignal: true });
    expect(JSON.parse(calls[0]!.body)).toEqual({ reason: 'pipeline canceled' });
  });

  it('defaults to POST, and does nothing without a cancel endpoint', async () => {
    const { calls, fetch } = remote({ [`POST https://hooks.example/cancel`]: [{}] });
    await webhook.cancel!(runtime(stageWith({ url: HOOK }), fetch));
    expect(calls).toHaveLength(0);
    await webhook.cancel!(runtime(stageWith({ url: HOOK, cancelEndpoint: 'https://hooks.example/cancel' }), fetch));
    expect(calls.map((c) => c.method)).toEqual(['POST']);
  });

  it('throws for the engine to log when the cancel endpoint fails', async () => {
    const { fetch } = remote({ [`POST https://hooks.example/cancel`]: [{ status: 500 }] });
    await expect(webhook.cancel!(runtime(stageWith({ url: HOOK, cancelEndpoint: 'https://hooks.example/cancel' }), fetch))).rejects.toThrow(/answered 500/);
  });
});

describe('judgeStatus', () => {
  const lists = { successStatuses: 'ok,Done', canceledStatuses: 'stopped', terminalStatuses: 'broken, done' };
  it.each([
    { status: 'OK', verdict: 'SUCCEEDED' },
    { status: ' ok ', verdict: 'SUCCEEDED' },
    { status: 'DONE', verdict: 'TERMINAL' }, // listed twice: terminal wins, as in Orca
    { status: 'Stopped', verdict: 'CANCELED' },
    { status: 'building', verdict: 'RUNNING' },
    { status: '', verdict: 'RUNNING' },
    { status: 99, verdict: 'RUNNING' },
    { status: 100, verdict: 'SUCCEEDED' },
    { status: true, verdict: 'RUNNING' },
  ] as const)('$status → $verdict', ({ status, verdict }) => {
    expect(judgeStatus(status, lists)).toBe(verdict);
  });
});
