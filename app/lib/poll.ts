/** Polling for pages that follow something still running: one schedule for every live view. */
import { untrack } from 'svelte';

export interface PollOptions {
  /** The wait between the end of one tick and the start of the next. */
  everyMs: number;
  /** Whether the page is out of sight; a hidden page skips ticks but keeps its schedule. */
  hidden?: () => boolean;
}

/**
 * Calls `tick` every `everyMs` for as long as `active()` holds after the previous tick; the
 * returned function stops it. `tick` reports its own failures (a banner, say); one it lets
 * through is logged and the schedule kept, so one bad response does not end a live view. Meant to run from an `$effect`, whose dependencies it does not take on.
 */
export function pollWhile(active: () => boolean, tick: () => Promise<void>, { everyMs, hidden = () => document.hidden }: PollOptions): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && active()) timer = setTimeout(run, everyMs);
  };
  const run = async () => {
    try {
      // A hidden tab skips the request but keeps the schedule, so it catches up when shown.
      if (!hidden()) await tick();
    } catch (err) {
      console.error('poll tick failed', err);
    } finally {
      schedule();
    }
  };
  // Reading `active()` here must not make the calling effect restart the polling on every change.
  untrack(schedule);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
