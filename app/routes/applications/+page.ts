import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

const PAGE_SIZE = 20;

export const load: PageLoad = async ({ url }) => {
  const q = url.searchParams.get('q')?.trim() ?? '';
  const offset = Math.max(0, Math.floor(Number(url.searchParams.get('offset'))) || 0);
  try {
    const list = await call(
      api.applications.$get({ query: { ...(q ? { q } : {}), limit: String(PAGE_SIZE), offset: String(offset) } }),
    );
    return { q, list };
  } catch (err) {
    pageError(err);
  }
};
