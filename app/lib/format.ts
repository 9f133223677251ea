const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 minutes ago", "in 89 days", "now"; `null` is an em dash. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const diffMs = Date.parse(iso) - now;
  for (const [unit, ms] of units) {
    if (Math.abs(diffMs) >= ms) return rtf.format(Math.round(diffMs / ms), unit);
  }
  return Math.abs(diffMs) < 10_000 ? 'just now' : rtf.format(Math.round(diffMs / 1000), 'second');
}

const dtf = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** A full local date and time, for tooltips and <time> titles. */
export function dateTime(iso: string | null | undefined): string {
  return iso ? dtf.format(new Date(iso)) : '';
}

/** Config JSON as the editor shows it. */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
