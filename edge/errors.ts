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
export function fromZod(error: ZodError): ApiError {
  const { field, message } = firstIssue(error);
  return badRequest(field, message);
}

export function errorResponse(c: Context<AppEnv>, err: ApiError, headers?: Record<string, string>) {
  const body: ErrorBody = {
    error: {
      code: err.code,
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
      requestId: c.get('requestId') ?? 'unknown',
    },
  };
  return c.json(body, err.status, headers);
}

/** What Hono's own HTTPExceptions (validator, media-type gate, body limit) mean in our terms. */
function fromHttpException(err: HTTPException): ApiError {
  switch (err.status) {
    case 400:
      // Hono's JSON validator says "Malformed JSON in request body".
      return /JSON/i.test(err.message) ? new ApiError('invalid_json', 'request body is not valid JSON') : new ApiError('validation_failed', err.message || 'bad request');
    case 401:
      return unauthorized(err.message || 'authentication required');
    case 403:
      return forbidden(err.message || 'forbidden');
    case 404:
      return new ApiError('not_found', err.message || 'not found');
    case 405:
      return new ApiError('method_not_allowed', err.message || 'method not allowed');
    case 409:
      return conflict(err.message || 'conflict');
    case 413:
      return new ApiError('payload_too_large', 'request body is larger than 1 MiB');
    case 415:
      return new ApiError('unsupported_media_type', 'Content-Type must be application/json', 'Content-Type');
    default:
      return err.status >= 500 ? new ApiError('internal', 'internal error; the request id identifies it in the logs') : new ApiError('validation_failed', err.message || 'bad request');
  }
}

/** Maps anything thrown to the error shape; internal details never leave the edge. */
export function onError(err: Error, c: Context<AppEnv>) {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException && err.status < 500) return errorResponse(c, fromHttpException(err));
  console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: err.message, stack: err.stack }));
  return errorResponse(c, new ApiError('internal', 'internal error; the request id identifies it in the logs'));
}
