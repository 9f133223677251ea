import { api, call } from '$lib/api.ts';
import type { ExecutionDetail } from '$lib/executions.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

const MAX_BACKOFF_MS = 30_000;

/**
 * One execution kept current by the edge's server-sent events. The browser's EventSource
 * reconnects by itself after a dropped stream; when the edge refuses the stream (an error status),
 * the execution is asked for once (a 401 then signs the user out) and the stream retried with backoff.
 */
export class LiveExecution {
  #execution = $state.raw<ExecutionDetail>(undefined as unknown as ExecutionDetail);
  #state = $state<LiveState>('connecting');
  #lastEventId = -1;
  /** Plain, not state: `connect()` runs in an effect that must not re-run on every event. */
  readonly #id: string;

  constructor(initial: ExecutionDetail) {
    this.#execution = initial;
    this.#id = initial.id;
  }

  get execution(): ExecutionDetail {
    return this.#execution;
  }
  get state(): LiveState {
    return this.#state;
  }

  /** Opens the stream; the returned function closes it (call it when leaving the page). */
  connect(): () => void {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let closed = false;
    const open = () => {
      source = new EventSource(`/api/v1/executions/${encodeURIComponent(this.#id)}/events`);
      source.onopen = () => {
        attempt = 0;
        this.#state = 'live';
      };
      source.addEventListener('execution', (event) => {
        this.#state = 'live';
        // Each event is the whole execution; its id (the edge's change time) only grows.
        const id = Number(event.lastEventId);
        if (Number.isFinite(id) && id > 0 && id < this.#lastEventId) return;
        if (Number.isFinite(id)) this.#lastEventId = id;
        this.#execution = JSON.parse(event.data) as ExecutionDetail;
      });
      source.onerror = () => {
        if (closed || !source) return;
        this.#state = 'reconnecting';
        if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
        source.close();
        void this.refresh().catch(() => {});
        timer = setTimeout(open, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt++));
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(timer);
      source?.close();
      this.#state = 'closed';
    };
  }

  /** Asks the edge for the execution now (after a control while the stream is down, say). */
  async refresh(): Promise<void> {
    this.#execution = await call(api.executions[':id'].$get({ param: { id: this.#id } }));
  }
}
