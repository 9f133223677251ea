import { redirect } from '@sveltejs/kit';
import { api, call, pageError } from '$lib/api.ts';
import { loadStageTypes } from '$lib/stage-types.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  try {
    // The catalogue says which stage types run on agents (and so have tasks); without it the page still works.
    const [execution, types] = await Promise.all([call(api.executions[':id'].$get({ param: { id: params.id } })), loadStageTypes().catch(() => [])]);
    if (execution.application !== params.app) redirect(307, `/applications/${execution.application}/executions/${execution.id}`);
    return { execution, agentStageTypes: new Set(types.filter((t) => t.runsOn === 'agent').map((t) => t.type)) as ReadonlySet<string> };
  } catch (err) {
    pageError(err);
  }
};
