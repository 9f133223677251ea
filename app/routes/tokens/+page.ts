import { api, call, pageError } from '$lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async () => {
  try {
    return { tokens: (await call(api.tokens.$get())).items };
  } catch (err) {
    pageError(err);
  }
};
