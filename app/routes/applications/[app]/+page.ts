import { api, call, pageError } from '$lib/api.ts';
import { parseStatusFilter } from '$lib/executions.ts';
import { firstRuns } from './runs.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, url }) => {
  const filter = parseStatusFilter(url.searchParams.get('status'));
  try {
    const [app, pipelines] = await Promise.all([
      call(api.applications[':app'].$get({ param: { app: params.app } })),
      call(api.applications[':app'].pipelines.$get({ param: { app: params.app } })),
    ]);
    return { app, pipelines: pipelines.items, filter, runs: await firstRuns(pipelines.items, filter) };
  } catch (err) {
    pageError(err);
  }
};
