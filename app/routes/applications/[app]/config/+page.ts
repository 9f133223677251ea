import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  try {
    return { app: await call(api.applications[':app'].$get({ param: { app: params.app } })) };
  } catch (err) {
    pageError(err);
  }
};
