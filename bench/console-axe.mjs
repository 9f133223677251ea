// axe-core over every console screen for the console benchmark: serious and critical violations,
// counted per screen and printed with the rules that fired.
import { BLOCKING, runAxe } from '../app/e2e/axe.ts';

/** axe's violations of impact serious or critical on the page as it is now: rule and elements. */
async function seriousViolations(page) {
  const { violations } = await runAxe(page);
  return violations.filter((v) => BLOCKING.includes(v.impact ?? null)).map((v) => ({ id: v.id, nodes: v.nodes.length }));
}

/** The screens to check in `app` (which has pipelines, executions and server groups by now). */
async function screens(call, app) {
  const pipelines = await call('GET', `/applications/${app}/pipelines`);
  const runs = await call('GET', `/applications/${app}/executions?limit=1`);
  const pipeline = pipelines.items[0]?.id;
  const execution = runs.items[0]?.id;
  return [
    ['applications', '/applications'],
    ['app pipelines', `/applications/${app}`],
    ['app config', `/applications/${app}/config`],
    ...(execution ? [['execution', `/applications/${app}/executions/${execution}`]] : []),
    ...(pipeline ? [['pipeline editor', `/applications/${app}/pipelines/${pipeline}`]] : []),
    ['clusters', `/applications/${app}/clusters`],
    ['canary list', `/applications/${app}/canary`],
    ['tokens', '/tokens'],
    ['agents', '/agents'],
    ['users', '/users'],
    ['audit', '/audit'],
  ];
}

/**
 * Counts serious and critical violations (rules broken, each on one or more elements) over the sign-in page (signed out, in its own context) and
 * every screen (signed in, in `context`); prints each screen's count and rules.
 */
export async function axeViolations(browser, context, stack, call, app) {
  const results = [];
  const signedOut = await browser.newContext();
  const signin = await signedOut.newPage();
  await signin.goto(`${stack.url}/signin`);
  await signin.getByLabel('Email').waitFor();
  results.push(['sign-in', await seriousViolations(signin)]);
  await signedOut.close();

  const page = await context.newPage();
  for (const [name, url] of await screens(call, app)) {
    await page.goto(`${stack.url}${url}`);
    // The execution page keeps an event stream open, so the network never goes quiet there.
    await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
    await page.locator('h1').first().waitFor();
    results.push([name, await seriousViolations(page)]);
  }
  await page.close();

  let total = 0;
  for (const [name, violations] of results) {
    total += violations.length;
    const rules = violations.map((v) => `${v.id} (${v.nodes} ${v.nodes === 1 ? 'element' : 'elements'})`).join(', ');
    console.log(`axe: ${name.padEnd(16)} ${String(violations.length).padStart(3)}${rules ? `  ${rules}` : ''}`);
  }
  return total;
}
