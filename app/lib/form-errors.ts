import { ApiError } from './api.ts';

const names = (err: ApiError, field: string) =>
  err.field === field || err.field?.startsWith(`${field}.`) || err.field?.startsWith(`${field}[`);

/** The API error's message when it names `field` or something inside it, without the path prefix. */
export function fieldError(err: unknown, field: string): string | undefined {
  if (!(err instanceof ApiError) || !err.field || !names(err, field)) return undefined;
  const prefix = `${err.field}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/** {@link fieldError} for each of a form's fields. */
export function fieldErrors<F extends string>(err: unknown, fields: readonly F[]): Record<F, string | undefined> {
  return Object.fromEntries(fields.map((f) => [f, fieldError(err, f)])) as Record<F, string | undefined>;
}

/** The message of an error that belongs to none of the form's `fields`, for the form's banner. */
export function formError(err: unknown, fields: readonly string[]): string | undefined {
  if (!err) return undefined;
  if (err instanceof ApiError && fields.some((f) => names(err, f))) return undefined;
  return err instanceof Error ? err.message : String(err);
}
