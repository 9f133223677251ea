/**
 * The audit page's filters as they live in its address (so a filtered view is a link that
 * survives a reload) and as the API takes them.
 */

export const FILTER_FIELDS = ['application', 'actor', 'action', 'from', 'to'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** What the form holds: `from`/`to` as a `datetime-local` input has them, in the browser's time zone. */
export type AuditFilters = Record<FilterField, string>;

export const NO_FILTERS: AuditFilters = { application: '', actor: '', action: '', from: '', to: '' };

/** Filters and page cursor from the page's address; unknown parameters are ignored. */
export function fromSearch(params: URLSearchParams): { filters: AuditFilters; cursor: string | null } {
  const filters = { ...NO_FILTERS };
  for (const f of FILTER_FIELDS) filters[f] = params.get(f)?.trim() ?? '';
  return { filters, cursor: params.get('cursor') || null };
}

/** The page's address for these filters (and a cursor for an older page); empty filters are left out. */
export function toSearch(filters: AuditFilters, cursor?: string | null): string {
  const params = new URLSearchParams();
  for (const f of FILTER_FIELDS) if (filters[f].trim()) params.set(f, filters[f].trim());
  if (cursor) params.set('cursor', cursor);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * A local `datetime-local` value as the instant the API takes. What does not parse goes as typed,
 * so the API's 400 names the field and the form shows it there.
 */
export function localToIso(value: string): string {
  const ms = Date.parse(value);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) && Number.isFinite(ms) ? new Date(ms).toISOString() : value;
}

/** The API's query for one page: non-empty filters, times as instants, the cursor when paging. */
export function toApiQuery(filters: AuditFilters, cursor: string | null, limit: number): Record<string, string> {
  const query: Record<string, string> = { limit: String(limit) };
  for (const f of FILTER_FIELDS) {
    const v = filters[f].trim();
    if (v) query[f] = f === 'from' || f === 'to' ? localToIso(v) : v;
  }
  if (cursor) query.cursor = cursor;
  return query;
}

/** Whether any filter is set. */
export const isFiltered = (filters: AuditFilters) => FILTER_FIELDS.some((f) => filters[f].trim() !== '');
