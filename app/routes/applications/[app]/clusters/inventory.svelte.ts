import { api, call, messageOf } from '$lib/api.ts';
import { actionTarget, clusterOfGroup, type ApplicationClusters, type LoadBalancerView } from '$lib/clusters.ts';
import { isActive, type ExecutionSummary } from '$lib/executions.ts';

/** How often the clusters view asks for the inventory again. */
export const INVENTORY_POLL_MS = 5000;
/** How often an action started from the view is asked about while it runs. */
const ACTION_POLL_MS = 1000;

/**
 * The application's clusters and load balancers as agents last reported them, refreshed every
 * 5 s while the tab is visible. A slower response never overwrites a newer one.
 */
export class ClusterInventory {
  #clusters = $state.raw<ApplicationClusters>({ accounts: [] });
  #balancers = $state.raw<LoadBalancerView[]>([]);
  #error = $state<string | null>(null);
  #fetchedAt = $state(0);
  #sent = 0;
  readonly application: string;

  constructor(application: string, clusters: ApplicationClusters, balancers: LoadBalancerView[]) {
    this.application = application;
    this.#clusters = clusters;
    this.#balancers = balancers;
    this.#fetchedAt = Date.now();
  }

  get clusters(): ApplicationClusters {
    return this.#clusters;
  }
  get balancers(): LoadBalancerView[] {
    return this.#balancers;
  }
  /** Why the last refresh failed; what is shown is then from the one before. */
  get error(): string | null {
    return this.#error;
  }
  get fetchedAt(): number {
    return this.#fetchedAt;
  }
  get empty(): boolean {
    return this.#clusters.accounts.every((a) => a.clusters.length === 0);
  }

  /** Asks for both lists now. */
  async refresh(): Promise<void> {
    const mine = ++this.#sent;
    const param = { app: this.application };
    try {
      const [clusters, balancers] = await Promise.all([
        call(api.applications[':app'].clusters.$get({ param })),
        call(api.applications[':app']['load-balancers'].$get({ param })),
      ]);
      if (mine !== this.#sent) return;
      this.#clusters = clusters;
      this.#balancers = balancers.items;
      this.#error = null;
      this.#fetchedAt = Date.now();
    } catch (err) {
      if (mine === this.#sent) this.#error = messageOf(err);
    }
  }

  /** Refreshes every 5 s until the returned function is called; pauses while the tab is hidden. */
  poll(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      await this.refresh();
      if (!stopped && !document.hidden) timer = setTimeout(tick, INVENTORY_POLL_MS);
    };
    const visibility = () => {
      clearTimeout(timer);
      if (!document.hidden) void tick();
    };
    document.addEventListener('visibilitychange', visibility);
    timer = setTimeout(tick, INVENTORY_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visibility);
    };
  }
}

/** A server-group action (from this page, another tab or the API) and the execution carrying it out. */
export interface ActionRun {
  execution: ExecutionSummary;
  /** The group the action was aimed at (for a rollback, the group restored). */
  serverGroup: string;
  /** The stage's error once it failed (a traffic guard can still refuse when the step runs). */
  error: string | null;
}

/** How many recent actions a cluster lists. */
const ACTIONS_SHOWN = 5;

/** Recent server-group actions of the application, those still running followed until they finish. */
export class ActionRuns {
  #runs = $state.raw<ActionRun[]>([]);

  /** `recent`: the application's latest executions, newest first; the actions among them are kept. */
  constructor(recent: readonly ExecutionSummary[]) {
    this.#runs = recent.flatMap((execution) => {
      const serverGroup = actionTarget(execution);
      return serverGroup ? [{ execution, serverGroup, error: null }] : [];
    });
  }

  /** The latest actions on one cluster, newest first. */
  on(cluster: string): ActionRun[] {
    return this.#runs.filter((r) => clusterOfGroup(r.serverGroup) === cluster).slice(0, ACTIONS_SHOWN);
  }

  /** An action just started here. */
  add(execution: ExecutionSummary, serverGroup: string): void {
    this.#runs = [{ execution, serverGroup, error: null }, ...this.#runs.filter((r) => r.execution.id !== execution.id)];
  }

  /**
   * Asks about running actions every second until the returned function is called; `onfinished`
   * is told when one ends, so the inventory can be refreshed at once.
   */
  follow(onfinished: () => void): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      const running = this.#runs.filter((r) => isActive(r.execution.status));
      const fresh = await Promise.all(running.map((r) => call(api.executions[':id'].$get({ param: { id: r.execution.id } })).catch(() => null)));
      if (stopped) return;
      let finished = false;
      const byId = new Map(fresh.flatMap((e) => (e ? [[e.id, e] as const] : [])));
      this.#runs = this.#runs.map((r) => {
        const e = byId.get(r.execution.id);
        if (!e) return r;
        if (!isActive(e.status)) finished = true;
        const { config: _config, stages, ...rest } = e;
        const summary = { ...rest, stages: stages.map((x) => ({ refId: x.refId, name: x.name, type: x.type, status: x.status, requisiteStageRefIds: x.requisiteStageRefIds })) };
        return { ...r, execution: summary, error: stages.find((x) => x.error)?.error?.message ?? null };
      });
      if (finished) onfinished();
      timer = setTimeout(tick, ACTION_POLL_MS);
    };
    timer = setTimeout(tick, ACTION_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
