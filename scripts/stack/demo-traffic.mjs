/**
 * Demo traffic for canary analysis: a canary is judged on the requests its instances answer, and
 * on a laptop nobody sends any. This sends a steady trickle of `GET /` to a load balancer of the
 * demo application (`demo-hello` by default), finding its address in the inventory the agents
 * report (`GET /api/v1/applications/{app}/load-balancers`) and following it when it moves or
 * appears later (before the first deploy there is none). Responses are counted, never judged.
 */
import { api } from './http.mjs';

/**
 * Starts sending about `ratePerSec` requests a second; resolves at once. `stop()` ends it (and
 * waits for requests in flight); `stats()` says what was sent and how it went.
 */
export function startDemoTraffic({ url, token, application = 'demo', loadBalancer = `${application}-hello`, ratePerSec = 5, lookupEveryMs = 5_000, log = () => {} }) {
  const stats = { sent: 0, ok: 0, failed: 0, target: null };
  const inFlight = new Set();
  let lookedUpAt = -Infinity;
  let lookingUp = null;

  async function lookup() {
    const res = await api(url, 'GET', `/api/v1/applications/${application}/load-balancers`, { token }).catch(() => null);
    const address = res?.status === 200 ? (res.json.items.find((lb) => lb.name === loadBalancer)?.address ?? null) : null;
    if (address !== stats.target) log(address ? `sending demo traffic to ${loadBalancer} at ${address}` : `no address for load balancer ${loadBalancer} yet`);
    stats.target = address;
  }

  async function send(target) {
    stats.sent++;
    try {
      const res = await fetch(`${target}/`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) stats.ok++;
      else stats.failed++;
    } catch {
      stats.failed++;
    }
  }

  const timer = setInterval(() => {
    const now = Date.now();
    if (now - lookedUpAt >= lookupEveryMs && !lookingUp) {
      lookedUpAt = now;
      lookingUp = lookup().finally(() => (lookingUp = null));
    }
    if (!stats.target) return;
    const request = send(stats.target).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, Math.max(1, Math.round(1000 / ratePerSec)));
  // Demo traffic never keeps a process alive on its own.
  timer.unref?.();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight, lookingUp]);
    },
  };
}
