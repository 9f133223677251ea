import { z } from 'zod';

/** Machine-readable error codes; every API error carries exactly one. */
export const errorCodes = [
  'validation_failed',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'method_not_allowed',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** The one error shape every endpoint answers with. */
export const errorBody = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    field: z.string().optional(),
    requestId: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

/** Formats a zod issue path as a JSON path: `stages[2].requisiteStageRefIds[0]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      out += /^[A-Za-z_$][\w$]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** A bad value: the JSON path naming it (empty for the whole document) and a sentence about it. */
export interface FieldError {
  field: string;
  message: string;
}

/** `field: message`, or the bare message when the whole document is at fault. */
export const withField = (field: string, message: string): string => (field ? `${field}: ${message}` : message);

/**
 * The first zod issue as `{field, message}`; `prefix` places the validated value inside a larger
 * document (a stage inside a pipeline). The message names the field exactly once.
 */
export function firstIssue(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldError {
  const issue = error.issues[0];
  if (!issue) return { field: jsonPath(prefix), message: withField(jsonPath(prefix), 'invalid input') };
  if (issue.code === 'unrecognized_keys') {
    // Zod reports unknown keys on the enclosing object; the caller wants the key itself.
    const fields = issue.keys.map((key) => jsonPath([...prefix, ...issue.path, key]));
    const quoted = fields.map((f) => `"${f}"`).join(', ');
    return { field: fields[0] ?? jsonPath(prefix), message: fields.length === 1 ? `unknown field ${quoted}` : `unknown fields ${quoted}` };
  }
  const field = jsonPath([...prefix, ...issue.path]);
  return { field, message: withField(field, describe(issue)) };
}

/** Zod's message, reworded where its default says less than it could. */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `required (expected ${issue.expected})`;
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    // Every branch refused the value's type: say which types would have done.
    const expected = [...new Set(issue.errors.flatMap((branch) => branch.filter((i) => i.code === 'invalid_type' && i.path.length === 0).map((i) => (i as { expected: string }).expected)))];
    if (expected.length > 0) {
      const received = /received (\w+)$/.exec(issue.errors[0]?.[0]?.message ?? '')?.[1];
      return `expected ${expected.join(' or ')}${received ? `, received ${received}` : ''}`;
    }
  }
  return issue.message;
}
