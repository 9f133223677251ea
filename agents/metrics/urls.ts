/**
 * Which Prometheus a task may make the agent query, and URLs made safe to print. A pipeline's
 * author chooses `metricsSource.url`; without a check, any author could make the agent GET
 * whatever internal address it can reach and read the answer back from the task's error.
 */

/** `origin` + path without trailing slashes: how `--prometheus-url` and `--prometheus-allow` are kept. */
export function baseUrlOf(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The Prometheus to query for a task: the agent's own when the task names none, else the task's
 * URL if it is the agent's own or one of `allowed` (both already normalised by the CLI).
 */
export function prometheusUrlFor(taskUrl: string | undefined, own: string | undefined, allowed: readonly string[] = []): string {
  if (taskUrl === undefined) {
    if (!own) throw new Error('the canary reads metrics from Prometheus, but the task names no URL and this agent has no --prometheus-url');
    return own;
  }
  let url: URL | undefined;
  try {
    url = new URL(taskUrl);
  } catch {
    url = undefined;
  }
  // Credentials, a query or a fragment never match: the allowed URLs have none.
  const base = url && !url.username && !url.password && !url.search && !url.hash ? baseUrlOf(url) : undefined;
  if (base !== undefined && (base === own || allowed.includes(base))) return base;
  throw new Error(
    `this agent does not query Prometheus at ${redactUrl(taskUrl)}: it queries only its --prometheus-url and the URLs its operator lists with --prometheus-allow`,
  );
}

/** The URL with any user and password replaced by `***` and the query left out, for messages. */
export function redactUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return raw.replace(/\/\/[^/?#]*@/, '//***@').replace(/[?#].*$/s, '?…');
  if (!url.username && !url.password && !url.search && !url.hash) return raw;
  const user = url.username || url.password ? '***@' : '';
  return `${url.protocol}//${user}${url.host}${url.pathname}${url.search ? '?…' : ''}${url.hash ? '#…' : ''}`;
}
