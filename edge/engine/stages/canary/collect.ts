/**
 * Collecting one interval's metrics, pure: the `collectMetrics` payload for a window, and whether
 * a failed collect is worth another attempt (Kayenta retries metric fetches; a bad query it does not).
 */
import type { AnalysisWindow } from './schedule.ts';
import type { CanarySetup } from './setup.ts';

/** Attempts per interval, the first included. */
export const COLLECT_ATTEMPTS = 3;
/** Wait before the second attempt; doubled before each further one. */
export const COLLECT_BACKOFF_MS = 10_000;

/** Idempotency suffix of one attempt: a retry is a new task, a repeated poll queues nothing twice. */
export const collectKey = (index: number, attempt: number) => `collect-${index}-${attempt}`;

/** The task that collects `window`: control = baseline, experiment = canary. */
export function collectPayload(setup: CanarySetup, window: AnalysisWindow): Record<string, unknown> {
  const { settings, config, baseline, canary } = setup;
  return {
    account: settings.account,
    location: settings.location,
    source: settings.metricsSource,
    stepSec: settings.stepSec,
    metrics: config.metrics.map((m) => ({ name: m.name, query: m.query })),
    control: { scope: baseline.name, location: settings.location, ...window.control },
    experiment: { scope: canary.name, location: settings.location, ...window.experiment },
  };
}

/**
 * What the agent says (`agents/metrics/`) when the canary's own config is at fault: the same task
 * fails the same way however often it runs. Anything else (Prometheus unreachable, a 5xx, a
 * timeout, an agent that restarted) may pass on a later attempt.
 */
const USER_ERRORS: readonly RegExp[] = [
  // Prometheus's answer to a query it cannot parse (HTTP 400, errorType bad_data).
  /refused query [\s\S]*\bbad_data\b/,
  /answered HTTP 400\b/,
  /does not mention \$\{scope\}/,
  /query, but this canary reads its metrics from/,
  /task names no URL and this agent has no --prometheus-url/,
  /this agent does not query Prometheus at /,
  /the window has \d+ steps of \d+s; at most \d+ are allowed/,
];

/** True when the agent's message says the config is wrong (a bad query): retrying cannot help. */
export const isUserCollectError = (message: string) => USER_ERRORS.some((re) => re.test(message));

/**
 * When attempt `attempt + 1` may be queued after attempt `attempt` failed at `now`, or null to
 * give up: after {@link COLLECT_ATTEMPTS}, on a user error, or when the retry would start only
 * once the next interval is due (`nextDueMs`, null for the last interval), so the canary never
 * falls behind its schedule.
 */
export function collectRetryAt(attempt: number, error: string, now: number, nextDueMs: number | null): number | null {
  if (attempt >= COLLECT_ATTEMPTS || isUserCollectError(error)) return null;
  const at = now + COLLECT_BACKOFF_MS * 2 ** (attempt - 1);
  return nextDueMs !== null && at >= nextDueMs ? null : at;
}
