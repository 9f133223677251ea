/** Backoff shared by the agent's loops (registration, heartbeats, polls, completions). */

const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;

/**
 * How long to wait before retry number `attempt` (0-based): doubling from 1s up to 30s, with
 * the upper half jittered so agents cut off together do not return together.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `0.8s`, `12s`: a delay as people read it in the agent's log. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
