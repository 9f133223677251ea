import { createRoute, z } from '@hono/zod-openapi';
import { applicationClusters, serverGroupDetail } from '../../contract/clusters.ts';
import { applicationName } from '../../contract/names.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope } from '../auth/principal.ts';
import { loadApplicationClusters, loadServerGroup } from '../clusters/inventory.ts';
import { asc } from 'drizzle-orm';
import { loadBalancers } from '../../db/schema.ts';
import { notFound } from '../errors.ts';
import { database } from '../lib/db.ts';
import { jsonResponse, router } from '../lib/router.ts';
import { loadApplication } from './applications.ts';

const mw = [authenticate];

const list = createRoute({
  method: 'get', path: '/applications/{app}/clusters', tags: ['clusters'], middleware: mw,
  request: { params: z.object({ app: applicationName }) },
  responses: { 200: jsonResponse(applicationClusters, 'Clusters by account, cluster and location as agents last reported them; server groups newest first') },
});
const get = createRoute({
  method: 'get', path: '/server-groups/{id}', tags: ['clusters'], middleware: mw,
  request: { params: z.object({ id: z.string().min(1).max(200) }) },
  responses: { 200: jsonResponse(serverGroupDetail, 'One server group with its instances') },
});

const loadBalancerView = z.object({ account: z.string(), location: z.string(), name: z.string(), address: z.string().nullable(), serverGroups: z.array(z.string()), reportedAt: z.string() });
const balancers = createRoute({
  method: 'get', path: '/applications/{app}/load-balancers', tags: ['clusters'], middleware: mw,
  request: { params: z.object({ app: applicationName }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(loadBalancerView) }), "Load balancers named for the application's clusters or serving its server groups") },
});

/** A name of `app` itself or of one of its clusters / server groups (`app-…`). */
const belongs = (app: string, name: string) => name === app || name.startsWith(`${app}-`);

/** Read-only views of the inventory agents report. */
export const clusterRoutes = router()
  .openapi(list, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    await loadApplication(database(c.env.DB), app);
    return c.json(await loadApplicationClusters(c.env.DB, app), 200);
  })
  .openapi(balancers, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    await loadApplication(database(c.env.DB), app);
    const rows = await database(c.env.DB).select().from(loadBalancers).orderBy(asc(loadBalancers.account), asc(loadBalancers.location), asc(loadBalancers.name)).all();
    const items = rows
      .filter((r) => belongs(app, r.name) || r.serverGroups.some((g) => belongs(app, g)))
      .map((r) => ({ account: r.account, location: r.location, name: r.name, address: r.address, serverGroups: r.serverGroups, reportedAt: new Date(r.reportedAt).toISOString() }));
    return c.json({ items }, 200);
  })
  .openapi(get, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { id } = c.req.valid('param');
    const group = await loadServerGroup(c.env.DB, id);
    if (!group) throw notFound(`server group "${id}"`);
    assertApplication(p, group.application);
    return c.json(group, 200);
  });
