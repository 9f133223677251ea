/**
 * JSONPath reads for stage configs (the webhook's status, progress and status-URL paths).
 * RFC 9535 through `jsonpath-rfc9535`: its own parser and evaluator, no eval, so filters such as
 * `$.jobs[?(@.name == 'build')].state` are safe to take from users.
 */
import { query, type JsonValue } from 'jsonpath-rfc9535';

export type JsonPathRead =
  | { ok: true; found: true; value: unknown }
  | { ok: true; found: false }
  | { ok: false; reason: string };

/**
 * Spinnaker's Jayway JsonPath reads `status` as `$.status`; pipelines written for it keep working.
 */
export function normalizeJsonPath(path: string): string {
  const p = path.trim();
  if (p.startsWith('$')) return p;
  if (p.startsWith('[')) return `$${p}`;
  return `$.${p}`;
}

/** Every value `path` selects in `doc`, or why the path cannot be read. */
export function queryJsonPath(doc: unknown, path: string): { ok: true; values: unknown[] } | { ok: false; reason: string } {
  try {
    return { ok: true, values: query(doc as JsonValue, normalizeJsonPath(path)) };
  } catch (e) {
    return { ok: false, reason: `invalid JSONPath '${path}': ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * The one value `path` selects. Several matches (a wildcard, a filter) read as the first, as a
 * status can only be one value; a path that matches nothing is `found: false`, not an error.
 */
export function readJsonPath(doc: unknown, path: string): JsonPathRead {
  const r = queryJsonPath(doc, path);
  if (!r.ok) return r;
  if (r.values.length === 0) return { ok: true, found: false };
  return { ok: true, found: true, value: r.values[0] };
}
