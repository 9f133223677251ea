import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  try {
    const [app, pipelines] = await Promise.all([
      call(api.applications[':app'].$get({ param: { app: params.app } })),
      call(api.applications[':app'].pipelines.$get({ param: { app: params.app } })),
    ]);
    return { app, pipelines: pipelines.items };
  } catch (err) {
    pageError(err);
  }
};
