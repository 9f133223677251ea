import { error } from '@sveltejs/kit';
import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

// Configs are addressed by name (what a canary stage names); the API by id.
export const load: PageLoad = async ({ params }) => {
  try {
    const list = await call(api.applications[':app']['canary-configs'].$get({ param: { app: params.app } }));
    const found = list.items.find((c) => c.name === params.name);
    if (!found) error(404, { message: `application "${params.app}" has no canary config named "${params.name}"` });
    const versions = await call(api['canary-configs'][':id'].versions.$get({ param: { id: found.id } }));
    return { config: found, versions: versions.items };
  } catch (err) {
    pageError(err);
  }
};
