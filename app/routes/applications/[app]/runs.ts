import { api, call, messageOf, type Pipeline } from '$lib/api.ts';
import { statusFilters, type ExecutionSummary, type StatusFilter } from '$lib/executions.ts';

/** How many executions each pipeline shows at first, and how many more "Load more" adds. */
export const FIRST_PAGE = 5;
export const NEXT_PAGE = 10;
/** The API's largest page: refreshes ask for everything shown, up to this. */
const MAX_PAGE = 200;

/** One pipeline's executions as far as they are loaded; `error` when the last fetch failed. */
export interface Runs {
  items: ExecutionSummary[];
  nextCursor: string | null;
  error: string | null;
}

/** A page of one pipeline's executions, newest first, under the filter. */
export async function fetchRuns(pipelineId: string, filter: StatusFilter, limit: number, cursor?: string) {
  const statuses = statusFilters[filter].statuses;
  return call(
    api.pipelines[':id'].executions.$get({
      param: { id: pipelineId },
      query: { limit: String(Math.min(limit, MAX_PAGE)), ...(statuses ? { status: statuses.join(',') } : {}), ...(cursor ? { cursor } : {}) },
    }),
  );
}

/** The first page of every pipeline's executions; one pipeline failing does not fail the others. */
export async function firstRuns(pipelines: readonly Pipeline[], filter: StatusFilter): Promise<Record<string, Runs>> {
  const pages = await Promise.all(
    pipelines.map(async (p): Promise<[string, Runs]> => {
      try {
        const page = await fetchRuns(p.id, filter, FIRST_PAGE);
        return [p.id, { items: page.items, nextCursor: page.nextCursor, error: null }];
      } catch (err) {
        return [p.id, { items: [], nextCursor: null, error: messageOf(err) }];
      }
    }),
  );
  return Object.fromEntries(pages);
}
