import { redirect } from '@sveltejs/kit';
import { safeNext, session } from '$lib/session.svelte.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url, parent }) => {
  await parent();
  const next = safeNext(url.searchParams.get('next'));
  if (session.user) redirect(307, next);
  return { next };
};
