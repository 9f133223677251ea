import { redirect } from '@sveltejs/kit';
import type { PageLoad } from './$types';

// Executions are listed on the application's page, grouped by pipeline.
export const load: PageLoad = ({ params, url }) => redirect(307, `/applications/${params.app}${url.search}`);
