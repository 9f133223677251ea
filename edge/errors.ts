import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { type ErrorBody, type ErrorCode, firstIssue } from '../contract/errors.ts';
import type { AppEnv } from './env.ts';

const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
};

/** The one error type handlers throw; `onError` turns it into `{error: {code, message, field?, requestId}}`. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
  get status(): ContentfulStatusCode {
    return statusOf[this.code];
  }
}

export const badRequest = (field: string, message: string) => new ApiError('validation_failed', message, field);
export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);
export const conflict = (message: string, field?: string) => new ApiError('conflict', message, field);
export const forbidden = (message: string) => new ApiError('forbidden', message);
export const unauthorized = (message: string) => new ApiError('unauthorized', message);

/** A zod failure as a 400 naming the JSON path of the first bad field. */
export function fromZod(error: ZodError, prefix = ''): ApiError {
  const { field, message } = firstIssue(error);
  const full = prefix && field ? `${prefix}.${field}` : prefix || field;
  return badRequest(full, full && !message.startsWith(full) ? `${full}: ${message.replace(`${field}: `, '')}` : message);
}

export function errorResponse(c: Context<AppEnv>, err: ApiError) {
  const body: ErrorBody = {
    error: {
      code: err.code,
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
      requestId: c.get('requestId') ?? 'unknown',
    },
  };
  return c.json(body, err.status);
}

/** Maps anything thrown to the error shape; internal details never leave the edge. */
export function onError(err: Error, c: Context<AppEnv>) {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    if (err.status === 413) return errorResponse(c, new ApiError('payload_too_large', 'request body is larger than 1 MiB'));
    if (err.status === 400 && /JSON/i.test(err.message)) {
      return errorResponse(c, new ApiError('invalid_json', 'request body is not valid JSON'));
    }
    if (err.status === 401) return errorResponse(c, unauthorized(err.message || 'authentication required'));
    return errorResponse(c, new ApiError(err.status >= 500 ? 'internal' : 'validation_failed', err.message));
  }
  console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: err.message, stack: err.stack }));
  return errorResponse(c, new ApiError('internal', 'internal error; the request id identifies it in the logs'));
}
