/** Calls the local edge's JSON API; resolves to {status, json} and never throws on HTTP errors. */
export async function api(url, method, path, { token, body, headers = {}, timeoutMs = 10_000 } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (the console's HTML, say); callers look at the status.
  }
  return { status: res.status, json, text };
}

/** Like `api`, but a status other than `expected` is an Error naming the call and the server's message. */
export async function apiExpect(expected, url, method, path, opts) {
  const res = await api(url, method, path, opts);
  const wanted = [expected].flat();
  if (!wanted.includes(res.status)) {
    const message = res.json?.error?.message ?? res.text.slice(0, 300);
    throw new Error(`${method} ${path} answered ${res.status} (expected ${wanted.join(' or ')}): ${message}`);
  }
  return res.json;
}

/**
 * Polls `probe` until it returns a truthy value, which it resolves to. Fails after `timeoutMs`
 * with `what`, or as soon as `abort()` returns a reason (a process that died, say).
 */
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 250, abort = () => undefined } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    const reason = abort();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
