import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, api, auditCount, createApp, rowCount } from '../test/client.ts';

const wait = (refId: string, requisiteStageRefIds: string[] = [], waitTime: unknown = 5) => ({ refId, requisiteStageRefIds, type: 'wait', name: `wait ${refId}`, waitTime });

/** An application with one pipeline, and the token that made it. */
async function withPipeline(config: Record<string, unknown> = { name: 'deploy', stages: [wait('1')] }) {
  const token = await adminToken();
  const app = await createApp(token);
  const res = await api('POST', `/applications/${app}/pipelines`, { token, body: config });
  if (res.status !== 201) throw new Error(res.text);
  return { token, app, id: res.json.id as string, created: res.json };
}

/** Rows a rejected pipeline write must leave alone. */
const counts = async () => [await rowCount('pipelines'), await rowCount('pipeline_versions'), await rowCount('audit_events')];

describe('pipelines', () => {
  describe('create', () => {
    it('saves version 1, fills Spinnaker defaults, and records the version and an audit row', async () => {
      const token = await adminToken();
      const app = await createApp(token);
      const audits = await auditCount('pipeline.create');
      const res = await api('POST', `/applications/${app}/pipelines`, {
        token,
        body: {
          name: 'deploy to prod',
          stages: [wait('1'), { refId: '2', requisiteStageRefIds: ['1'], type: 'webhook', name: 'notify', url: 'https://example.com/hook' }],
          triggers: [{ type: 'manual' }],
        },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('ETag')).toBe('"1"');
      expect(res.json).toMatchObject({ application: app, name: 'deploy to prod', version: 1, updatedBy: 'token:bootstrap-admin' });
      expect(res.json.config).toEqual({
        name: 'deploy to prod',
        disabled: false,
        stages: [
          { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'wait 1', waitTime: 5 },
          { refId: '2', requisiteStageRefIds: ['1'], type: 'webhook', name: 'notify', url: 'https://example.com/hook', method: 'POST', waitForCompletion: false },
        ],
        triggers: [{ type: 'manual', enabled: true }],
        parameterConfig: [],
        notifications: [],
        expectedArtifacts: [],
        limitConcurrent: true,
        maxConcurrentExecutions: 0,
        keepWaitingPipelines: false,
      });
      const versions = await api('GET', `/pipelines/${res.json.id}/versions`, { token });
      expect(versions.json.items).toMatchObject([{ version: 1, action: 'create', author: 'token:bootstrap-admin', note: null, config: res.json.config }]);
      expect(await auditCount('pipeline.create')).toBe(audits + 1);
    });

    it("accepts pipeline JSON pasted from Spinnaker, dropping the keys the server owns", async () => {
      const token = await adminToken();
      const app = await createApp(token);
      const res = await api('POST', `/applications/${app}/pipelines`, {
        token,
        body: { application: app, id: 'abc-123', index: 0, name: 'from spinnaker', schema: '1', spelEvaluator: 'v4', lastModifiedBy: 'anonymous', updateTs: '1700000000000', stages: [] },
      });
      expect(res.status).toBe(201);
      expect(res.json.id).not.toBe('abc-123');
      for (const key of ['application', 'id', 'index', 'schema', 'spelEvaluator', 'lastModifiedBy', 'updateTs']) expect(res.json.config).not.toHaveProperty(key);
    });

    it("refuses a config that names another application", async () => {
      const token = await adminToken();
      const app = await createApp(token);
      const before = await counts();
      const res = await api('POST', `/applications/${app}/pipelines`, { token, body: { application: 'someoneelse', name: 'x' } });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toBe('application');
      expect(await counts()).toEqual(before);
    });

    it('refuses a second pipeline of the same name in the application with 409', async () => {
      const { token, app } = await withPipeline();
      const before = await counts();
      const res = await api('POST', `/applications/${app}/pipelines`, { token, body: { name: 'deploy' } });
      expect(res.status).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'conflict', field: 'name', message: `application "${app}" already has a pipeline named "deploy"` });
      expect(await counts()).toEqual(before);
    });

    it('answers 404 when the application does not exist, writing nothing', async () => {
      const token = await adminToken();
      const before = await counts();
      const res = await api('POST', '/applications/nosuchapp/pipelines', { token, body: { name: 'x' } });
      expect(res.status).toBe(404);
      expect(await counts()).toEqual(before);
    });

    it('allows an expression where a number goes', async () => {
      const token = await adminToken();
      const app = await createApp(token);
      const res = await api('POST', `/applications/${app}/pipelines`, { token, body: { name: 'x', stages: [wait('1', [], '${ parameters.delay }')] } });
      expect(res.status).toBe(201);
      expect(res.json.config.stages[0].waitTime).toBe('${ parameters.delay }');
    });
  });

  describe('validation', () => {
    it.each([
      ['a duplicate refId', [wait('a'), wait('a')], 'stages[1].refId', 'stages[1].refId: duplicate refId "a" (also used by stages[0])'],
      ['a dangling requisite', [wait('a'), wait('b', ['a', 'ghost'])], 'stages[1].requisiteStageRefIds[1]', 'stages[1].requisiteStageRefIds[1]: requisite stage "ghost" does not exist'],
      ['a stage requiring itself', [wait('a', ['a'])], 'stages[0].requisiteStageRefIds[0]', 'stages[0].requisiteStageRefIds[0]: stage "a" cannot require itself'],
      ['a cycle', [wait('a', ['c']), wait('b', ['a']), wait('c', ['b'])], 'stages[0].requisiteStageRefIds', 'stages[0].requisiteStageRefIds: stages form a cycle: a → c → b → a'],
      ['a stage field of the wrong type', [wait('a'), wait('b', ['a'], -5)], 'stages[1].waitTime', 'stages[1].waitTime: Too small: expected number to be >=0'],
      ['a word where a number goes', [wait('a', [], 'soon')], 'stages[0].waitTime', 'stages[0].waitTime: expected a number or a ${…} expression'],
      ['an unknown stage field', [{ ...wait('a'), colour: 'red' }], 'stages[0].colour', 'unknown field "stages[0].colour"'],
      ['a stage without a type', [{ refId: 'a', name: 'x' }], 'stages[0].type', 'stages[0].type: required (expected string)'],
    ])('refuses %s, naming the exact field, and writes nothing', async (_, stages, field, message) => {
      const { token, id, created } = await withPipeline();
      const before = await counts();
      const res = await api('PUT', `/pipelines/${id}`, { token, body: { name: 'deploy', stages } });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field, message });
      expect(await counts()).toEqual(before);
      expect((await api('GET', `/pipelines/${id}`, { token })).json).toEqual(created);
    });

    it('refuses an unknown stage type, listing the known ones', async () => {
      const { token, id } = await withPipeline();
      const res = await api('PUT', `/pipelines/${id}`, { token, body: { name: 'deploy', stages: [{ refId: 'a', type: 'bake', name: 'bake' }] } });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toBe('stages[0].type');
      expect(res.json.error.message).toMatch(/^stages\[0\]\.type: unknown stage type "bake"; known types: wait, manualJudgment, .*canary$/);
    });

    it.each([
      [{ stages: [] }, 'name', 'name: required (expected string)'],
      [{ name: 'x', colour: 'red' }, 'colour', 'unknown field "colour"'],
      [{ name: 'x', triggers: [{ type: 'cron' }] }, 'triggers[0].cronExpression', 'triggers[0].cronExpression: required (expected string)'],
      [{ name: 'x', parameterConfig: [{ name: 'env', default: 'qa', options: [{ value: 'prod' }] }] }, 'parameterConfig[0].default', 'parameterConfig[0].default: default "qa" is not one of the options'],
      [{ name: 'x', parameterConfig: [{ name: 'env' }, { name: 'env' }] }, 'parameterConfig[1].name', 'parameterConfig[1].name: duplicate parameter name "env"'],
    ])('refuses config %j naming %s', async (config, field, message) => {
      const { token, id } = await withPipeline();
      const res = await api('PUT', `/pipelines/${id}`, { token, body: config });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ field, message });
    });
  });

  describe('read', () => {
    it('lists the pipelines of an application by name', async () => {
      const { token, app } = await withPipeline({ name: 'zeta' });
      await api('POST', `/applications/${app}/pipelines`, { token, body: { name: 'alpha' } });
      const res = await api('GET', `/applications/${app}/pipelines`, { token });
      expect(res.json.items.map((p: { name: string }) => p.name)).toEqual(['alpha', 'zeta']);
      expect((await api('GET', '/applications/nosuchapp/pipelines', { token })).status).toBe(404);
    });

    it('gets one pipeline with its version as ETag, or 404', async () => {
      const { token, id, created } = await withPipeline();
      const res = await api('GET', `/pipelines/${id}`, { token });
      expect(res.json).toEqual(created);
      expect(res.headers.get('ETag')).toBe('"1"');
      const missing = await api('GET', '/pipelines/nope', { token });
      expect(missing.status).toBe(404);
      expect(missing.json.error.message).toBe('pipeline "nope" not found');
    });
  });

  describe('update', () => {
    it('saves a new version, keeps history newest first, and audits', async () => {
      const { token, id } = await withPipeline();
      const audits = await auditCount('pipeline.update');
      const res = await api('PUT', `/pipelines/${id}`, { token, body: { name: 'deploy', description: 'second' } });
      expect(res.status).toBe(200);
      expect(res.json.version).toBe(2);
      expect(res.headers.get('ETag')).toBe('"2"');
      const versions = await api('GET', `/pipelines/${id}/versions`, { token });
      expect(versions.json.items.map((v: { version: number; action: string }) => [v.version, v.action])).toEqual([[2, 'update'], [1, 'create']]);
      expect((await api('GET', `/pipelines/${id}/versions/1`, { token })).json.config.description).toBeUndefined();
      expect((await api('GET', `/pipelines/${id}/versions/2`, { token })).json.config.description).toBe('second');
      expect((await api('GET', `/pipelines/${id}/versions/9`, { token })).status).toBe(404);
      expect(await auditCount('pipeline.update')).toBe(audits + 1);
    });

    it('saves with a matching If-Match and refuses a stale one with 409, writing nothing', async () => {
      const { token, id } = await withPipeline();
      expect((await api('PUT', `/pipelines/${id}`, { token, headers: { 'If-Match': '"1"' }, body: { name: 'deploy', description: 'a' } })).status).toBe(200);
      const before = await counts();
      const stale = await api('PUT', `/pipelines/${id}`, { token, headers: { 'If-Match': '"1"' }, body: { name: 'deploy', description: 'b' } });
      expect(stale.status).toBe(409);
      expect(stale.json.error).toMatchObject({ code: 'conflict', field: 'If-Match', message: 'pipeline is at version 2, not 1; reload and reapply your change' });
      expect(await counts()).toEqual(before);
      expect((await api('PUT', `/pipelines/${id}`, { token, headers: { 'If-Match': 'W/"2"' }, body: { name: 'deploy' } })).status).toBe(200);
      const malformed = await api('PUT', `/pipelines/${id}`, { token, headers: { 'If-Match': 'latest' }, body: { name: 'deploy' } });
      expect(malformed.status).toBe(400);
      expect(malformed.json.error.field).toBe('If-Match');
    });

    it('lets exactly one of two racing saves of the same version win', async () => {
      const { token, id } = await withPipeline();
      const save = (d: string) => api('PUT', `/pipelines/${id}`, { token, headers: { 'If-Match': '1' }, body: { name: 'deploy', description: d } });
      const results = await Promise.all([save('a'), save('b')]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const versions = await api('GET', `/pipelines/${id}/versions`, { token });
      expect(versions.json.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    });

    it('renames, but refuses a name another pipeline of the application has', async () => {
      const { token, app, id } = await withPipeline();
      await api('POST', `/applications/${app}/pipelines`, { token, body: { name: 'other' } });
      expect((await api('PUT', `/pipelines/${id}`, { token, body: { name: 'renamed' } })).json.name).toBe('renamed');
      const before = await counts();
      const clash = await api('PUT', `/pipelines/${id}`, { token, body: { name: 'other' } });
      expect(clash.status).toBe(409);
      expect(clash.json.error.field).toBe('name');
      expect(await counts()).toEqual(before);
    });

    it('answers 404 for a missing pipeline', async () => {
      const token = await adminToken();
      expect((await api('PUT', '/pipelines/nope', { token, body: { name: 'x' } })).status).toBe(404);
    });
  });

  describe('restore', () => {
    it('saves an old version again as the newest, with a note', async () => {
      const { token, id } = await withPipeline();
      await api('PUT', `/pipelines/${id}`, { token, body: { name: 'renamed', description: 'v2' } });
      const audits = await auditCount('pipeline.restore');
      const res = await api('POST', `/pipelines/${id}/versions/1/restore`, { token });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ version: 3, name: 'deploy' });
      expect(res.json.config.description).toBeUndefined();
      const v3 = await api('GET', `/pipelines/${id}/versions/3`, { token });
      expect(v3.json).toMatchObject({ action: 'restore', note: 'restored from version 1' });
      expect(await auditCount('pipeline.restore')).toBe(audits + 1);
    });

    it('refuses to restore a version that is no longer valid, writing nothing', async () => {
      const { token, id } = await withPipeline();
      await api('PUT', `/pipelines/${id}`, { token, body: { name: 'deploy', description: 'v2' } });
      // As if stage type "wait" had been renamed since version 1 was saved.
      await env.DB.prepare("UPDATE pipeline_versions SET config = json_set(config, '$.stages[0].type', 'sleep') WHERE pipeline_id = ? AND version = 1").bind(id).run();
      const before = await counts();
      const res = await api('POST', `/pipelines/${id}/versions/1/restore`, { token });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field: 'stages[0].type' });
      expect(res.json.error.message).toMatch(/^version 1 cannot be restored, it is no longer valid: stages\[0\]\.type: unknown stage type "sleep"/);
      expect(await counts()).toEqual(before);
      expect((await api('GET', `/pipelines/${id}`, { token })).json.version).toBe(2);
    });

    it('refuses a restore whose old name another pipeline has taken', async () => {
      const { token, app, id } = await withPipeline();
      await api('PUT', `/pipelines/${id}`, { token, body: { name: 'renamed' } });
      await api('POST', `/applications/${app}/pipelines`, { token, body: { name: 'deploy' } });
      const res = await api('POST', `/pipelines/${id}/versions/1/restore`, { token });
      expect(res.status).toBe(409);
      expect(res.json.error.field).toBe('name');
    });

    it('answers 404 for a missing version and 400 for a version that is not a number', async () => {
      const { token, id } = await withPipeline();
      expect((await api('POST', `/pipelines/${id}/versions/7/restore`, { token })).status).toBe(404);
      const bad = await api('POST', `/pipelines/${id}/versions/latest/restore`, { token });
      expect(bad.status).toBe(400);
      expect(bad.json.error.field).toBe('version');
    });
  });

  describe('delete', () => {
    it('deletes the pipeline with its history and audits it', async () => {
      const { token, id } = await withPipeline();
      const versions = await rowCount('pipeline_versions');
      const audits = await auditCount('pipeline.delete');
      const res = await api('DELETE', `/pipelines/${id}`, { token });
      expect(res.json).toEqual({ deleted: id });
      expect(await rowCount('pipeline_versions')).toBe(versions - 1);
      expect((await api('GET', `/pipelines/${id}`, { token })).status).toBe(404);
      expect(await auditCount('pipeline.delete')).toBe(audits + 1);
    });

    it('is refused with 409 while an execution of it is running', async () => {
      const { token, app, id } = await withPipeline();
      const now = Date.now();
      await env.DB.prepare("INSERT INTO executions (id, application, pipeline_id, name, status, config, trigger, created_at, updated_at) VALUES (?, ?, ?, 'deploy', 'RUNNING', '{}', '{}', ?, ?)")
        .bind(crypto.randomUUID(), app, id, now, now)
        .run();
      const before = await counts();
      const res = await api('DELETE', `/pipelines/${id}`, { token });
      expect(res.status).toBe(409);
      expect(await counts()).toEqual(before);
    });
  });
});

describe('expressions in a saved pipeline', () => {
  it('refuses an expression that cannot parse, naming the stage field and the expression', async () => {
    const token = await adminToken();
    const app = `expr${Date.now().toString(36)}`;
    await api('POST', '/applications', { token, body: { name: app } });
    const before = await rowCount('pipelines');
    const res = await api('POST', `/applications/${app}/pipelines`, {
      token,
      body: { name: 'p', stages: [{ refId: '1', type: 'wait', name: 'w', waitTime: '${parameters.delay +}' }] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe('stages[0].waitTime');
    expect(res.json.error.message).toContain('parameters.delay +');
    expect(await rowCount('pipelines')).toBe(before);
    const ok = await api('POST', `/applications/${app}/pipelines`, {
      token,
      body: { name: 'p', stages: [{ refId: '1', type: 'wait', name: 'w', waitTime: '${int(parameters.delay)}' }] },
    });
    expect(ok.status).toBe(201);
  });
});
