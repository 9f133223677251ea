import { redirect } from '@sveltejs/kit';
import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  try {
    const execution = await call(api.executions[':id'].$get({ param: { id: params.id } }));
    if (execution.application !== params.app) redirect(307, `/applications/${execution.application}/executions/${execution.id}`);
    return { execution };
  } catch (err) {
    pageError(err);
  }
};
