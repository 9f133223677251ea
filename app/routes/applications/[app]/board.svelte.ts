import { untrack } from 'svelte';
import { messageOf, type Pipeline } from '$lib/api.ts';
import { isActive, type ExecutionSummary, type StatusFilter } from '$lib/executions.ts';
import { fetchRuns, FIRST_PAGE, NEXT_PAGE, type Runs } from './runs.ts';

/** How often the list refreshes while something in it may still change, and otherwise. */
const ACTIVE_POLL_MS = 3000;
const IDLE_POLL_MS = 30_000;

const none: Runs = { items: [], nextCursor: null, error: null };

/**
 * The application's executions, grouped by pipeline, as the list shows them: the pages loaded so
 * far under one status filter, refreshed by polling (often while any shown execution is active).
 */
export class ExecutionBoard {
  #runs = $state.raw<Record<string, Runs>>({});
  #loadingMore = $state.raw<ReadonlySet<string>>(new Set());
  /** Bumped when a pipeline's list changes by hand, so an older refresh response is dropped. */
  #generation = new Map<string, number>();
  /** Set while polling: re-times the next refresh (after a start, the list is active again). */
  #wake: (() => void) | null = null;
  readonly filter: StatusFilter;
  readonly pipelines: readonly Pipeline[];

  readonly anyActive = $derived(Object.values(this.#runs).some((r) => r.items.some((e) => isActive(e.status))));

  constructor(pipelines: readonly Pipeline[], runs: Record<string, Runs>, filter: StatusFilter) {
    this.pipelines = pipelines;
    this.#runs = runs;
    this.filter = filter;
  }

  runsOf(pipelineId: string): Runs {
    return this.#runs[pipelineId] ?? none;
  }

  loadingMore(pipelineId: string): boolean {
    return this.#loadingMore.has(pipelineId);
  }

  /** Appends the pipeline's next page. */
  async loadMore(pipelineId: string): Promise<void> {
    const runs = this.runsOf(pipelineId);
    if (!runs.nextCursor || this.loadingMore(pipelineId)) return;
    this.#bump(pipelineId);
    this.#loadingMore = new Set([...this.#loadingMore, pipelineId]);
    try {
      const page = await fetchRuns(pipelineId, this.filter, NEXT_PAGE, runs.nextCursor);
      const seen = new Set(runs.items.map((e) => e.id));
      this.#set(pipelineId, { items: [...runs.items, ...page.items.filter((e) => !seen.has(e.id))], nextCursor: page.nextCursor, error: null });
    } catch (err) {
      this.#set(pipelineId, { ...this.runsOf(pipelineId), error: messageOf(err) });
    } finally {
      this.#loadingMore = new Set([...this.#loadingMore].filter((id) => id !== pipelineId));
    }
  }

  /** A start from this page: shown at once, refreshed on the active schedule from then on. */
  started(pipelineId: string, execution: ExecutionSummary): void {
    const runs = this.runsOf(pipelineId);
    this.#bump(pipelineId);
    this.#set(pipelineId, { ...runs, items: [execution, ...runs.items.filter((e) => e.id !== execution.id)] });
    this.#wake?.();
  }

  /** Reloads what is shown for one pipeline, or for all: as many executions as are loaded now. */
  async refresh(pipelineId?: string): Promise<void> {
    const ids = pipelineId ? [pipelineId] : this.pipelines.map((p) => p.id);
    await Promise.all(
      ids.map(async (id) => {
        if (this.loadingMore(id)) return;
        const generation = this.#generation.get(id) ?? 0;
        const shown = this.runsOf(id).items.length;
        try {
          const page = await fetchRuns(id, this.filter, Math.max(FIRST_PAGE, shown));
          if ((this.#generation.get(id) ?? 0) !== generation) return;
          this.#set(id, { items: page.items, nextCursor: page.nextCursor, error: null });
        } catch (err) {
          if ((this.#generation.get(id) ?? 0) === generation) this.#set(id, { ...this.runsOf(id), error: messageOf(err) });
        }
      }),
    );
  }

  /**
   * Keeps the list fresh until the returned function is called: every 3 s while anything shown
   * is active, every 30 s otherwise (to notice starts from elsewhere), never while the tab is hidden.
   */
  poll(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = () => {
      clearTimeout(timer);
      if (stopped || document.hidden) return;
      timer = setTimeout(tick, this.anyActive ? ACTIVE_POLL_MS : IDLE_POLL_MS);
    };
    const tick = async () => {
      await this.refresh();
      schedule();
    };
    const visibility = () => (document.hidden ? clearTimeout(timer) : void tick());
    document.addEventListener('visibilitychange', visibility);
    this.#wake = schedule;
    // Run from an effect: reading `anyActive` here must not make the effect restart the polling.
    untrack(schedule);
    return () => {
      stopped = true;
      this.#wake = null;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visibility);
    };
  }

  #set(pipelineId: string, runs: Runs): void {
    this.#runs = { ...this.#runs, [pipelineId]: runs };
  }

  #bump(pipelineId: string): void {
    this.#generation.set(pipelineId, (this.#generation.get(pipelineId) ?? 0) + 1);
  }
}
