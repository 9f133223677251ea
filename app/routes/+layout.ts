import { redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/api.ts';
import { session } from '$lib/session.svelte.ts';
import type { LayoutLoad } from './$types';

// A static single-page app: the Worker serves index.html for every console path.
export const ssr = false;
export const prerender = false;

/** Every page but sign-in needs a session; the original address comes back after signing in. */
export const load: LayoutLoad = async ({ url }) => {
  try {
    const user = await session.ensure();
    if (!user && url.pathname !== '/signin') {
      redirect(307, `/signin?next=${encodeURIComponent(url.pathname + url.search)}`);
    }
  } catch (err) {
    // The API is unreachable: the page's own load fails too and says so inside the shell, and the
    // next navigation asks for the session again.
    if (!(err instanceof ApiError && err.status === 0)) throw err;
  }
  return {};
};
