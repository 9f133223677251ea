import { redirect } from '@sveltejs/kit';
import { api, call, pageError } from '$lib/api.ts';
import { loadStageTypes } from '$lib/stage-types.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  try {
    const [pipeline, versions, stageTypes] = await Promise.all([
      call(api.pipelines[':id'].$get({ param: { id: params.id } })),
      call(api.pipelines[':id'].versions.$get({ param: { id: params.id } })),
      // The editor works without the catalogue; it only offers "add stage" with it.
      loadStageTypes().catch(() => []),
    ]);
    if (pipeline.application !== params.app) redirect(307, `/applications/${pipeline.application}/pipelines/${pipeline.id}`);
    return { pipeline, versions: versions.items, stageTypes };
  } catch (err) {
    pageError(err);
  }
};
