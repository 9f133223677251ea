import { api, call, messageOf, pageError } from '$lib/api.ts';
import { fetchReports } from '$lib/canary/reports-api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  const param = { app: params.app };
  try {
    const [app, configs, reports] = await Promise.all([
      call(api.applications[':app'].$get({ param })),
      call(api.applications[':app']['canary-configs'].$get({ param })),
      // The configs are useful without the reports: a failure there is said in the reports panel.
      fetchReports(params.app).then(
        (page) => ({ ...page, error: null }),
        (err: unknown) => ({ items: [], nextCursor: null, error: messageOf(err) }),
      ),
    ]);
    return { app, configs: configs.items, reports };
  } catch (err) {
    pageError(err);
  }
};
