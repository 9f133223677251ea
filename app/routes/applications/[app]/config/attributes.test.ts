import { describe, expect, it } from 'vitest';
import { draftOf, knownTimeZone, localProblems, patchOf, timeZoneChoices } from './attributes.ts';

const app = { email: 'team@example.com', description: 'Takes the money', timeZone: 'UTC', cloudProviders: ['local', 'kubernetes'] };

describe('the application attributes form', () => {
  it('starts from the application, providers as one comma-separated line', () => {
    expect(draftOf(app)).toEqual({ email: 'team@example.com', description: 'Takes the money', timeZone: 'UTC', cloudProviders: 'local, kubernetes' });
    expect(draftOf({ ...app, email: null, description: null, cloudProviders: [] })).toMatchObject({ email: '', description: '', cloudProviders: '' });
  });

  it('sends nothing for an untouched form, even with stray spaces', () => {
    expect(patchOf(app, draftOf(app))).toEqual({});
    expect(patchOf(app, { ...draftOf(app), email: ' team@example.com ', cloudProviders: 'local ,kubernetes,' })).toEqual({});
  });

  it('sends only the changed fields, a cleared optional one as null', () => {
    expect(patchOf(app, { ...draftOf(app), email: '', timeZone: 'Europe/Berlin' })).toEqual({ email: null, timeZone: 'Europe/Berlin' });
    expect(patchOf(app, { ...draftOf(app), description: '  ' })).toEqual({ description: null });
    expect(patchOf(app, { ...draftOf(app), cloudProviders: 'kubernetes, local' })).toEqual({ cloudProviders: ['kubernetes', 'local'] });
    expect(patchOf(app, { ...draftOf(app), cloudProviders: '' })).toEqual({ cloudProviders: [] });
  });

  it('names an empty or unknown time zone at the field before asking the API', () => {
    expect(localProblems({ ...draftOf(app), timeZone: 'Europe/Berlin' })).toEqual({});
    expect(localProblems({ ...draftOf(app), timeZone: ' ' }).timeZone).toContain('required');
    expect(localProblems({ ...draftOf(app), timeZone: 'Mars/Olympus' }).timeZone).toContain('unknown IANA time zone "Mars/Olympus"');
    expect(knownTimeZone('America/New_York')).toBe(true);
    expect(knownTimeZone('EST5EDT-nope')).toBe(false);
  });

  it('suggests every zone the runtime knows, UTC among them', () => {
    const zones = timeZoneChoices();
    expect(zones).toContain('UTC');
    expect(zones).toContain('Europe/Berlin');
    expect(zones.every(knownTimeZone)).toBe(true);
  });
});
