import { pageError } from '$lib/api.ts';
import { fetchReport } from '$lib/canary/reports-api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
  try {
    return { report: await fetchReport(params.app, params.id) };
  } catch (err) {
    pageError(err);
  }
};
