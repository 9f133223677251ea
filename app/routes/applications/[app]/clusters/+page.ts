import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

// The selected group (`?sg=`) is read by the page, not here: choosing one does not reload the inventory.
export const load: PageLoad = async ({ params }) => {
  const param = { app: params.app };
  try {
    const [app, clusters, balancers, recent] = await Promise.all([
      call(api.applications[':app'].$get({ param })),
      call(api.applications[':app'].clusters.$get({ param })),
      call(api.applications[':app']['load-balancers'].$get({ param })),
      // For the actions already taken on each cluster; the view works without them.
      call(api.applications[':app'].executions.$get({ param, query: { limit: '50' } })).catch(() => ({ items: [] })),
    ]);
    return { app, clusters, balancers: balancers.items, recent: recent.items };
  } catch (err) {
    pageError(err);
  }
};
