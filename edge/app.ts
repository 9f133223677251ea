import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import pkg from '../package.json' with { type: 'json' };
import { agentApi } from './agent-api/index.ts';
import type { AppEnv } from './env.ts';
import { ApiError, errorResponse, onError } from './errors.ts';
import { allowedMethods } from './lib/allowed-methods.ts';
import { agentRoutes } from './routes/agents.ts';
import { applicationRoutes } from './routes/applications.ts';
import { auditRoutes } from './routes/audit.ts';
import { auth } from './routes/auth.ts';
import { bootstrap } from './routes/bootstrap.ts';
import { canaryConfigRoutes } from './routes/canary-configs.ts';
import { canaryJudge } from './routes/canary-judge.ts';
import { canaryReportRoutes } from './routes/canary-reports.ts';
import { clusterRoutes } from './routes/clusters.ts';
import { diagnostics } from './routes/diagnostics.ts';
import { serverGroupActions } from './routes/server-group-actions.ts';
import { executionRoutes } from './routes/executions.ts';
import { health } from './routes/health.ts';
import { pipelineRoutes } from './routes/pipelines.ts';
import { stageTypeRoutes } from './routes/stage-types.ts';
import { tokens } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * A task completion carries the agent's result: a `collectMetrics` answer (every metric's series
 * for both groups) can pass 1 MiB, and a refused completion is only retried until given up. The
 * result is stored in one D1 row, and D1 refuses rows over 2,000,000 bytes: stay under that.
 */
export const MAX_COMPLETION_BYTES = 1_900_000;
/** The agent protocol's route whose bodies may reach {@link MAX_COMPLETION_BYTES}. */
const completionPath = /^\/api\/agent\/v1\/tasks\/[^/]+\/complete$/;

/** Writes carry JSON or nothing; anything else is refused before a handler sees it. */
const jsonOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method)) {
    const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    const hasBody = c.req.header('Content-Length') !== undefined ? c.req.header('Content-Length') !== '0' : c.req.raw.body !== null;
    if (hasBody && type !== 'application/json') {
      throw new ApiError('unsupported_media_type', `Content-Type must be application/json, not "${type || 'missing'}"`, 'Content-Type');
    }
  }
  await next();
});

const limitTo = (maxSize: number) =>
  bodyLimit({ maxSize, onError: () => { throw new ApiError('payload_too_large', `request body is larger than ${maxSize} bytes`); } });
const defaultLimit = limitTo(MAX_BODY_BYTES);
const completionLimit = limitTo(MAX_COMPLETION_BYTES);

/** 1 MiB for every body but a task completion's. */
const limitBody = createMiddleware<AppEnv>((c, next) => (completionPath.test(c.req.path) ? completionLimit : defaultLimit)(c, next));

const common = [limitBody, jsonOnly] as const;

/** `/api/v1`: the console's and automation's API. */
const v1 = new OpenAPIHono<AppEnv>();
v1.use('*', ...common);
const routes = v1
  .route('/', health)
  .route('/', auth)
  .route('/', bootstrap)
  .route('/', applicationRoutes)
  .route('/', pipelineRoutes)
  .route('/', executionRoutes)
  .route('/', stageTypeRoutes)
  .route('/', tokens)
  .route('/', userRoutes)
  .route('/', auditRoutes)
  .route('/', agentRoutes)
  .route('/', clusterRoutes)
  .route('/', serverGroupActions)
  .route('/', diagnostics)
  .route('/', canaryJudge)
  .route('/', canaryConfigRoutes)
  .route('/', canaryReportRoutes);
v1.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
v1.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: { title: 'Gennaker API', version: pkg.version, description: 'Continuous delivery at the edge. Errors: {error: {code, message, field?, requestId}}.' },
  security: [{ bearer: [] }],
});

/** `/api/agent/v1`: what agents call, authenticated by agent credentials. */
const agentV1 = new OpenAPIHono<AppEnv>();
agentV1.use('*', ...common);
agentV1.route('/', agentApi);
agentV1.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'Gennaker agent protocol', version: pkg.version } });

export const app = new OpenAPIHono<AppEnv>();
// Before routing, so even a 404 or 405 carries a request id.
app.use('/api/*', requestId({ headerName: 'X-Request-Id' }));
app.route('/api/v1', v1);
app.route('/api/agent/v1', agentV1);
app.onError(onError);
app.notFound((c) => {
  if (c.req.path.startsWith('/api/')) {
    const allow = allowedMethods(app.routes, c.req.path);
    if (allow.length > 0) {
      return errorResponse(c, new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(', ')}`), { Allow: allow.join(', ') });
    }
    return errorResponse(c, new ApiError('not_found', `no route ${c.req.method} ${c.req.path}`));
  }
  // Anything else is the console: static assets with the SPA fallback.
  return c.env.ASSETS.fetch(c.req.raw);
});

export type AppType = typeof app;
/** The typed shape of `/api/v1`, for `hc<ApiV1>(…)` clients in the console and tools. */
export type ApiV1 = typeof routes;
