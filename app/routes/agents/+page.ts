import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

const PAGE_SIZE = 50;

export const load: PageLoad = async ({ url, depends }) => {
  // The page refreshes itself (agents come online, go silent) by invalidating this key.
  depends('app:agents');
  const offset = Math.max(0, Math.floor(Number(url.searchParams.get('offset'))) || 0);
  try {
    return { list: await call(api.agents.$get({ query: { limit: String(PAGE_SIZE), offset: String(offset) } })) };
  } catch (err) {
    pageError(err);
  }
};
