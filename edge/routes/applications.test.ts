import { describe, expect, it } from 'vitest';
import { adminToken, api, rowCount } from '../test/client.ts';

describe('applications', () => {
  it('creates, lists with search, and refuses a duplicate', async () => {
    const token = await adminToken();
    const created = await api('POST', '/applications', { token, body: { name: 'checkout', description: 'payments' } });
    expect(created.status).toBe(201);
    expect(created.json.timeZone).toBe('UTC');
    await api('POST', '/applications', { token, body: { name: 'search' } });
    const found = await api('GET', '/applications?q=pay', { token });
    expect(found.json.items.map((a: { name: string }) => a.name)).toEqual(['checkout']);
    const dup = await api('POST', '/applications', { token, body: { name: 'checkout' } });
    expect(dup.status).toBe(409);
    expect(dup.json.error.field).toBe('name');
  });

  it('rejects a bad name with the field and writes nothing', async () => {
    const token = await adminToken();
    const before = await rowCount('audit_events');
    const apps = await rowCount('applications');
    const res = await api('POST', '/applications', { token, body: { name: 'Bad-Name' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field: 'name' });
    expect(res.json.error.requestId).toBeTruthy();
    expect(await rowCount('applications')).toBe(apps);
    expect(await rowCount('audit_events')).toBe(before);
  });
});
