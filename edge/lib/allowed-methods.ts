/** A route as Hono lists it in `app.routes`. */
interface RouteInfo {
  method: string;
  path: string;
}

const patterns = new Map<string, RegExp>();
function patternOf(path: string): RegExp {
  let re = patterns.get(path);
  if (!re) {
    const source = path
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    patterns.set(path, (re = new RegExp(`^${source}/?$`)));
  }
  return re;
}

/**
 * The methods some route answers on `path`, so a wrong method gets 405 with `Allow` rather than
 * a 404 that suggests the path does not exist. Middleware (`ALL`) does not count.
 */
export function allowedMethods(routes: readonly RouteInfo[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method !== 'ALL' && patternOf(r.path).test(path)) methods.add(r.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
