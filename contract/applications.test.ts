import { describe, expect, it } from 'vitest';
import { applicationCreate, applicationUpdate, pageQuery, trafficGuard } from './applications.ts';
import { accountName, applicationName, detailName, stackName, timeZone } from './names.ts';

describe('application names', () => {
  it.each(['checkout', 'a', 'app2', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(applicationName.safeParse(name).success).toBe(true);
  });

  // Dashes separate app, stack and detail in a server group name, so an app name cannot have one.
  it.each(['', 'Checkout', 'check-out', 'check_out', '2app', 'app.name', 'x'.repeat(65), ' app'])('refuses %j', (name) => {
    expect(applicationName.safeParse(name).success).toBe(false);
  });
});

describe('cluster name parts', () => {
  it('allows dashes in details but not in stacks', () => {
    expect(detailName.safeParse('canary-v2').success).toBe(true);
    expect(stackName.safeParse('canary-v2').success).toBe(false);
    expect(stackName.safeParse('').success).toBe(true);
  });

  it.each([['prod-k8s', true], ['local', true], ['Prod', false], ['-x', false], ['', false]] as const)('account %j valid: %s', (name, ok) => {
    expect(accountName.safeParse(name).success).toBe(ok);
  });
});

describe('time zones', () => {
  it.each(['UTC', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(timeZone.safeParse(tz).success).toBe(true);
  });

  it.each(['Mars/Olympus', 'GMT+25', '', 'Europe/'])('refuses %j as an unknown IANA time zone', (tz) => {
    const r = timeZone.safeParse(tz);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toBe('unknown IANA time zone');
  });
});

describe('traffic guards', () => {
  it('fills stack, detail and enabled', () => {
    expect(trafficGuard.parse({ account: 'prod', location: 'eu-west-1' })).toEqual({ account: 'prod', location: 'eu-west-1', stack: '', detail: '', enabled: true });
  });

  it('accepts * as any account', () => {
    expect(trafficGuard.safeParse({ account: '*', location: 'us' }).success).toBe(true);
  });

  it.each([
    [{ location: 'us' }, 'account'],
    [{ account: 'Prod', location: 'us' }, 'account'],
    [{ account: 'prod', location: '' }, 'location'],
    [{ account: 'prod', location: 'us', enabled: 'yes' }, 'enabled'],
    [{ account: 'prod', location: 'us', cluster: 'x' }, ''],
  ])('refuses %j at %j', (guard, path) => {
    const r = trafficGuard.safeParse(guard);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe(path);
  });
});

describe('application create and update', () => {
  it('fills defaults on create', () => {
    expect(applicationCreate.parse({ name: 'app' })).toEqual({ name: 'app', trafficGuards: [], timeZone: 'UTC', cloudProviders: [] });
  });

  it('keeps an update to the fields sent, with null to clear', () => {
    expect(applicationUpdate.parse({ email: null })).toEqual({ email: null });
    expect(applicationUpdate.parse({})).toEqual({});
  });

  it('cannot rename through an update', () => {
    expect(applicationUpdate.safeParse({ name: 'other' }).success).toBe(false);
  });
});

describe('page query', () => {
  it('coerces strings from the query string and fills defaults', () => {
    expect(pageQuery.parse({ limit: '10' })).toEqual({ limit: 10, offset: 0 });
    expect(pageQuery.parse({})).toEqual({ limit: 50, offset: 0 });
  });
});
