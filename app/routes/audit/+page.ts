import { api, ApiError, call, pageError } from '$lib/api.ts';
import { FILTER_FIELDS, fromSearch, toApiQuery, type FilterField } from './filters.ts';
import type { PageLoad } from './$types';

const PAGE_SIZE = 50;

export const load: PageLoad = async ({ url }) => {
  const { filters, cursor } = fromSearch(url.searchParams);
  try {
    const list = await call(api.audit.$get({ query: toApiQuery(filters, cursor, PAGE_SIZE) }));
    return { filters, cursor, list, refused: null };
  } catch (err) {
    // A filter the API refuses is shown at its field, with the form still there to fix it.
    if (err instanceof ApiError && err.status === 400 && FILTER_FIELDS.includes(err.field as FilterField)) {
      return { filters, cursor, list: null, refused: { field: err.field as FilterField, message: err.message.replace(/^\w+: /, '') } };
    }
    pageError(err);
  }
};
