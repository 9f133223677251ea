import { describe, expect, it } from 'vitest';
import { adminToken, api, auditCount, createApp, rowCount, tokenWith } from '../test/client.ts';

const metric = (name: string, group = 'system', canary: Record<string, unknown> = {}) => ({ name, groups: [group], analysisConfigurations: { canary } });
const sample = (name = 'latency') => ({
  name,
  metrics: [metric('cpu', 'system', { direction: 'increase' }), metric('errors', 'errors', { direction: 'increase', critical: true })],
  classifier: { groupWeights: { system: 40, errors: 60 }, scoreThresholds: { pass: 80, marginal: 60 } },
});

/** An application with one canary config, and the token that made it. */
async function withConfig(config: Record<string, unknown> = sample()) {
  const token = await adminToken();
  const app = await createApp(token);
  const res = await api('POST', `/applications/${app}/canary-configs`, { token, body: config });
  if (res.status !== 201) throw new Error(res.text);
  return { token, app, id: res.json.id as string, created: res.json };
}

/** Rows a rejected canary config write must leave alone. */
const counts = async () => [await rowCount('canary_configs'), await rowCount('canary_config_versions'), await rowCount('audit_events')];

describe('canary configs', () => {
  describe('create', () => {
    it('saves version 1 with defaults filled in, records the version and an audit row', async () => {
      const token = await adminToken();
      const app = await createApp(token);
      const audits = await auditCount('canary-config.create');
      const res = await api('POST', `/applications/${app}/canary-configs`, { token, body: { name: 'basic', metrics: [metric('cpu')] } });
      expect(res.status).toBe(201);
      expect(res.headers.get('ETag')).toBe('"1"');
      expect(res.json).toMatchObject({ application: app, name: 'basic', version: 1, updatedBy: 'token:bootstrap-admin' });
      expect(res.json.id).toEqual(expect.any(String));
      expect(res.json.createdAt).toEqual(res.json.updatedAt);
      expect(res.json.config).toEqual({
        name: 'basic',
        metrics: [{ name: 'cpu', groups: ['system'], analysisConfigurations: { canary: {} } }],
        classifier: { groupWeights: {}, scoreThresholds: { pass: 75, marginal: 50 } },
      });
      const versions = await api('GET', `/canary-configs/${res.json.id}/versions`, { token });
      expect(versions.status).toBe(200);
      expect(versions.json.items).toMatchObject([{ configId: res.json.id, version: 1, action: 'create', author: 'token:bootstrap-admin', note: null, config: res.json.config }]);
      expect(await auditCount('canary-config.create')).toBe(audits + 1);
    });

    it('refuses a second config of the same name in the application with 409, writing nothing', async () => {
      const { token, app } = await withConfig();
      const before = await counts();
      const res = await api('POST', `/applications/${app}/canary-configs`, { token, body: sample() });
      expect(res.status).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'conflict', field: 'name', message: `application "${app}" already has a canary config named "latency"` });
      expect(await counts()).toEqual(before);
    });

    it('allows the same name in another application', async () => {
      const { token } = await withConfig();
      const other = await createApp(token);
      const res = await api('POST', `/applications/${other}/canary-configs`, { token, body: sample() });
      expect(res.status).toBe(201);
    });

    it('answers 404 when the application does not exist, writing nothing', async () => {
      const token = await adminToken();
      const before = await counts();
      const res = await api('POST', '/applications/nosuchapp/canary-configs', { token, body: sample() });
      expect(res.status).toBe(404);
      expect(await counts()).toEqual(before);
    });
  });

  describe('validation', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an unknown direction', { ...sample(), metrics: [metric('cpu', 'system', { direction: 'sideways' })] }, 'metrics[0].analysisConfigurations.canary.direction'],
      ['a negative group weight', { ...sample(), classifier: { groupWeights: { system: -5 } } }, 'classifier.groupWeights.system'],
      ['group weights over 100', { ...sample(), classifier: { groupWeights: { system: 70, errors: 40 } } }, 'classifier.groupWeights'],
      ['marginal above pass', { ...sample(), classifier: { groupWeights: {}, scoreThresholds: { pass: 50, marginal: 70 } } }, 'classifier.scoreThresholds.marginal'],
      ['no metrics', { name: 'x', metrics: [] }, 'metrics'],
      ['duplicate metric names', { name: 'x', metrics: [metric('cpu'), metric('cpu')] }, 'metrics'],
      ['a metric without groups', { name: 'x', metrics: [{ name: 'cpu', groups: [] }] }, 'metrics[0].groups'],
      ['a missing name', { metrics: [metric('cpu')] }, 'name'],
      ['an empty name', { name: '  ', metrics: [metric('cpu')] }, 'name'],
    ];

    it.each(cases)('refuses %s on create with a 400 naming the field, writing nothing', async (_, body, field) => {
      const token = await adminToken();
      const app = await createApp(token);
      const before = await counts();
      const res = await api('POST', `/applications/${app}/canary-configs`, { token, body });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field });
      expect(res.json.error.message).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it.each(cases)('refuses %s on update with a 400 naming the field, leaving the config as it was', async (_, body, field) => {
      const { token, id, created } = await withConfig();
      const before = await counts();
      const res = await api('PUT', `/canary-configs/${id}`, { token, body });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field });
      expect(await counts()).toEqual(before);
      expect((await api('GET', `/canary-configs/${id}`, { token })).json).toEqual(created);
    });

    it('refuses a body that is not an object', async () => {
      const token = await adminToken();
      const app = await createApp(token);
      const before = await counts();
      const res = await api('POST', `/applications/${app}/canary-configs`, { token, body: [1, 2] });
      expect(res.status).toBe(400);
      expect(await counts()).toEqual(before);
    });
  });

  describe('read', () => {
    it('lists the application configs by name and gets one with its version as ETag', async () => {
      const { token, app, id, created } = await withConfig(sample('zeta'));
      await api('POST', `/applications/${app}/canary-configs`, { token, body: sample('alpha') });
      const list = await api('GET', `/applications/${app}/canary-configs`, { token });
      expect(list.status).toBe(200);
      expect(list.json.items.map((i: { name: string }) => i.name)).toEqual(['alpha', 'zeta']);
      const one = await api('GET', `/canary-configs/${id}`, { token });
      expect(one.status).toBe(200);
      expect(one.headers.get('ETag')).toBe('"1"');
      expect(one.json).toEqual(created);
    });

    it('answers 404 for an unknown config and an unknown version', async () => {
      const { token, id } = await withConfig();
      expect((await api('GET', '/canary-configs/nope', { token })).status).toBe(404);
      expect((await api('GET', `/canary-configs/${id}/versions/9`, { token })).status).toBe(404);
      expect((await api('GET', '/applications/nosuchapp/canary-configs', { token })).status).toBe(404);
    });
  });

  describe('update', () => {
    it('saves a new version, renames, and keeps the history', async () => {
      const { token, id, created } = await withConfig();
      const audits = await auditCount('canary-config.update');
      const body = { ...sample('latency-v2'), classifier: { groupWeights: { system: 50, errors: 50 } } };
      const res = await api('PUT', `/canary-configs/${id}`, { token, body, headers: { 'If-Match': '"1"' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('ETag')).toBe('"2"');
      expect(res.json).toMatchObject({ id, name: 'latency-v2', version: 2, createdAt: created.createdAt });
      expect(res.json.config.classifier).toEqual({ groupWeights: { system: 50, errors: 50 }, scoreThresholds: { pass: 75, marginal: 50 } });
      const versions = await api('GET', `/canary-configs/${id}/versions`, { token });
      expect(versions.json.items.map((v: { version: number; action: string }) => [v.version, v.action])).toEqual([[2, 'update'], [1, 'create']]);
      const v1 = await api('GET', `/canary-configs/${id}/versions/1`, { token });
      expect(v1.status).toBe(200);
      expect(v1.json.config).toEqual(created.config);
      expect(await auditCount('canary-config.update')).toBe(audits + 1);
    });

    it('refuses a stale If-Match with 409, writing nothing', async () => {
      const { token, id } = await withConfig();
      expect((await api('PUT', `/canary-configs/${id}`, { token, body: sample(), headers: { 'If-Match': '1' } })).status).toBe(200);
      const before = await counts();
      const res = await api('PUT', `/canary-configs/${id}`, { token, body: sample(), headers: { 'If-Match': '"1"' } });
      expect(res.status).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'conflict', field: 'If-Match', message: 'canary config is at version 2, not 1; reload and reapply your change' });
      expect(await counts()).toEqual(before);
    });

    it('refuses a malformed If-Match with 400', async () => {
      const { token, id } = await withConfig();
      const res = await api('PUT', `/canary-configs/${id}`, { token, body: sample(), headers: { 'If-Match': 'latest' } });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toBe('If-Match');
    });

    it('refuses a rename onto another config of the application with 409, writing nothing', async () => {
      const { token, app, id } = await withConfig();
      await api('POST', `/applications/${app}/canary-configs`, { token, body: sample('other') });
      const before = await counts();
      const res = await api('PUT', `/canary-configs/${id}`, { token, body: sample('other') });
      expect(res.status).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'conflict', field: 'name' });
      expect(await counts()).toEqual(before);
    });
  });

  describe('restore', () => {
    it('saves an old version again as the newest, with a note', async () => {
      const { token, id, created } = await withConfig();
      await api('PUT', `/canary-configs/${id}`, { token, body: { name: 'latency', metrics: [metric('mem')] } });
      const audits = await auditCount('canary-config.restore');
      const res = await api('POST', `/canary-configs/${id}/versions/1/restore`, { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('ETag')).toBe('"3"');
      expect(res.json).toMatchObject({ id, version: 3, name: 'latency', config: created.config });
      const v3 = await api('GET', `/canary-configs/${id}/versions/3`, { token });
      expect(v3.json).toMatchObject({ version: 3, action: 'restore', note: 'restored from version 1', config: created.config });
      expect(await auditCount('canary-config.restore')).toBe(audits + 1);
    });

    it('answers 404 for a version that does not exist, writing nothing', async () => {
      const { token, id } = await withConfig();
      const before = await counts();
      const res = await api('POST', `/canary-configs/${id}/versions/7/restore`, { token });
      expect(res.status).toBe(404);
      expect(await counts()).toEqual(before);
    });

    it('refuses restoring onto a name another config took meanwhile, with 409', async () => {
      const { token, app, id } = await withConfig(sample('first'));
      await api('PUT', `/canary-configs/${id}`, { token, body: sample('renamed') });
      await api('POST', `/applications/${app}/canary-configs`, { token, body: sample('first') });
      const before = await counts();
      const res = await api('POST', `/canary-configs/${id}/versions/1/restore`, { token });
      expect(res.status).toBe(409);
      expect(res.json.error.field).toBe('name');
      expect(await counts()).toEqual(before);
    });
  });

  describe('delete', () => {
    it('deletes the config with its history and audits it', async () => {
      const { token, app, id } = await withConfig();
      await api('PUT', `/canary-configs/${id}`, { token, body: sample() });
      const [configs, versions] = await counts();
      const audits = await auditCount('canary-config.delete');
      const res = await api('DELETE', `/canary-configs/${id}`, { token });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ deleted: id });
      expect(await rowCount('canary_configs')).toBe(configs! - 1);
      expect(await rowCount('canary_config_versions')).toBe(versions! - 2);
      expect(await auditCount('canary-config.delete')).toBe(audits + 1);
      expect((await api('GET', `/canary-configs/${id}`, { token })).status).toBe(404);
      expect((await api('GET', `/applications/${app}/canary-configs`, { token })).json.items).toEqual([]);
      expect((await api('DELETE', `/canary-configs/${id}`, { token })).status).toBe(404);
    });
  });

  describe('access', () => {
    it('refuses a token restricted to another application with 403, on every route, writing nothing', async () => {
      const { token: admin, id } = await withConfig();
      const other = await createApp(admin);
      const { secret } = await tokenWith(admin, { scopes: ['read', 'write'], applications: [other] });
      const { app } = await withConfig();
      const before = await counts();
      const calls: [string, string, unknown?][] = [
        ['GET', `/applications/${app}/canary-configs`],
        ['POST', `/applications/${app}/canary-configs`, sample()],
        ['GET', `/canary-configs/${id}`],
        ['PUT', `/canary-configs/${id}`, sample()],
        ['DELETE', `/canary-configs/${id}`],
        ['GET', `/canary-configs/${id}/versions`],
        ['GET', `/canary-configs/${id}/versions/1`],
        ['POST', `/canary-configs/${id}/versions/1/restore`],
      ];
      for (const [method, path, body] of calls) {
        const res = await api(method, path, { token: secret, body });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
      expect(await counts()).toEqual(before);
    });

    it('lets a token restricted to the application work on it', async () => {
      const admin = await adminToken();
      const app = await createApp(admin);
      const { secret } = await tokenWith(admin, { scopes: ['read', 'write'], applications: [app] });
      const res = await api('POST', `/applications/${app}/canary-configs`, { token: secret, body: sample() });
      expect(res.status).toBe(201);
      expect((await api('GET', `/canary-configs/${res.json.id}`, { token: secret })).status).toBe(200);
    });

    it('refuses writes to a read-only token and any call without a token', async () => {
      const { token: admin, app, id } = await withConfig();
      const { secret } = await tokenWith(admin, { scopes: ['read'] });
      const before = await counts();
      expect((await api('GET', `/canary-configs/${id}`, { token: secret })).status).toBe(200);
      expect((await api('PUT', `/canary-configs/${id}`, { token: secret, body: sample() })).status).toBe(403);
      expect((await api('POST', `/applications/${app}/canary-configs`, { token: secret, body: sample('x') })).status).toBe(403);
      expect((await api('GET', `/canary-configs/${id}`)).status).toBe(401);
      expect(await counts()).toEqual(before);
    });
  });
});
