/** The application's attributes as the config form edits them: plain text in, a PATCH body out. */
import type { ApplicationUpdate } from '../../../../../contract/applications.ts';
import type { Application } from '$lib/api.ts';

export interface AttributeDraft {
  email: string;
  description: string;
  timeZone: string;
  /** Comma-separated, as typed. */
  cloudProviders: string;
}
export type AttributeField = keyof AttributeDraft;
export const attributeFields = ['email', 'description', 'timeZone', 'cloudProviders'] as const satisfies readonly AttributeField[];

/** The form's starting values for `app`. */
export function draftOf(app: Pick<Application, 'email' | 'description' | 'timeZone' | 'cloudProviders'>): AttributeDraft {
  return { email: app.email ?? '', description: app.description ?? '', timeZone: app.timeZone, cloudProviders: app.cloudProviders.join(', ') };
}

const providersOf = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Only what changed, so saving an untouched form writes nothing (and no audit event). A cleared
 * optional field is sent as `null`, which the API takes as "remove".
 */
export function patchOf(app: Pick<Application, 'email' | 'description' | 'timeZone' | 'cloudProviders'>, draft: AttributeDraft): ApplicationUpdate {
  const patch: ApplicationUpdate = {};
  const email = draft.email.trim();
  const description = draft.description.trim();
  const timeZone = draft.timeZone.trim();
  const providers = providersOf(draft.cloudProviders);
  if (email !== (app.email ?? '')) patch.email = email || null;
  if (description !== (app.description ?? '')) patch.description = description || null;
  if (timeZone !== app.timeZone) patch.timeZone = timeZone;
  if (!sameList(providers, app.cloudProviders)) patch.cloudProviders = providers;
  return patch;
}

/** Whether the runtime knows `tz` as an IANA time zone: the edge checks the same way. */
export function knownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Problems the form can name before asking the API (which checks everything again): an empty or
 * unknown time zone. Other fields are left to the API's answer, which names the field too.
 */
export function localProblems(draft: AttributeDraft): Partial<Record<AttributeField, string>> {
  const tz = draft.timeZone.trim();
  if (!tz) return { timeZone: 'a time zone is required (UTC when in doubt)' };
  if (!knownTimeZone(tz)) return { timeZone: `unknown IANA time zone "${tz}" (e.g. Europe/Berlin, America/New_York)` };
  return {};
}

/** The time zones to suggest; older runtimes without the list still accept typed ones. */
export function timeZoneChoices(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}
