/** Accessibility checks for the browser journeys: axe-core run inside the page under test. */
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The impacts a screen must not have; minor and moderate ones are reported by axe but allowed. */
export const BLOCKING: readonly ImpactValue[] = ['serious', 'critical'];

/** Runs axe-core on the page as it is now (injecting it once per document) and returns its results. */
export async function runAxe(page: Page, options: RunOptions = {}): Promise<AxeResults> {
  // The console is a single-page app: axe stays loaded across in-app navigations, not across reloads.
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate((opts) => (window as unknown as { axe: { run: (ctx: Document, o: RunOptions) => Promise<AxeResults> } }).axe.run(document, opts), options);
}

/** One line per violation and offending element, for a failure message a person can act on. */
export function describeViolations(violations: readonly Result[]): string {
  return violations
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${v.help} — ${n.target.join(' ')} ${n.html.slice(0, 120)}`))
    .join('\n');
}

/** Throws, listing them, when the page has serious or critical violations. */
export async function assertAccessible(page: Page, screen: string, options: RunOptions = {}): Promise<void> {
  const { violations } = await runAxe(page, options);
  const blocking = violations.filter((v) => BLOCKING.includes(v.impact ?? null));
  if (blocking.length) throw new Error(`accessibility violations on ${screen}:\n${describeViolations(blocking)}`);
}
