/**
 * The local provider's operations: server groups as processes on this machine behind local
 * load balancers. Every operation is idempotent (a re-delivered task finds its own work) and
 * runs alone per server group.
 */
import type { InventoryReport, OperationPayload, ServerGroupRef, ServerGroupSnapshot } from '../../../contract/operations.ts';
import type { Provider, TaskLog } from '../provider.ts';
import { ChangeSignal } from './changes.ts';
import { Ticker } from './health.ts';
import { Fleet } from './instances.ts';
import { LoadBalancers, type Backend } from './load-balancer.ts';
import { KeyedLock } from './lock.ts';
import { httpAddress } from './names.ts';
import { allocatePort } from './ports.ts';
import { backendsFor, describeLoadBalancers, inventoryReport, pickInstancesToDisable, pickInstancesToStop, serverGroupSnapshot } from './snapshot.ts';
import { newServerGroupRecord, scopedKey, type InstanceRecord, type LoadBalancerRecord, type LocalState, type ServerGroupRecord, type StateStore } from './state.ts';

/** How long a scale-down or destroy lets requests in flight finish before stopping instances. */
export const STOP_DRAIN_MS = 30_000;
/** How long a load balancer waits for its persisted port (an old agent may still be exiting). */
const REOPEN_TRIES = 10;
const REOPEN_DELAY_MS = 200;

export interface LocalProviderSettings {
  stateDir: string;
  host: string;
  workDir: string;
  healthIntervalMs: number;
  log: (line: string) => void;
}

export class LocalProvider implements Provider {
  readonly type = 'local' as const;
  readonly #settings: LocalProviderSettings;
  readonly #state: LocalState;
  readonly #store: StateStore;
  readonly #fleet: Fleet;
  readonly #lbs: LoadBalancers;
  readonly #ticker: Ticker;
  readonly #locks = new KeyedLock();
  readonly #changes: ChangeSignal;
  #closed = false;

  constructor(settings: LocalProviderSettings, state: LocalState, store: StateStore) {
    this.#settings = settings;
    this.#state = state;
    this.#store = store;
    const log = settings.log;
    this.#changes = new ChangeSignal(log);
    this.#lbs = new LoadBalancers({ host: settings.host, log, backends: (key) => this.#backends(key) });
    this.#fleet = new Fleet({
      host: settings.host,
      stateDir: settings.stateDir,
      workDir: settings.workDir,
      healthTimeoutMs: Math.max(1_000, settings.healthIntervalMs),
      log,
      save: () => this.#save(),
      changed: () => this.#changes.fire(),
      portsInUse: () => this.#portsInUse(),
      drain: (port, timeoutMs) => this.#lbs.waitForDrain([port], timeoutMs),
    });
    this.#ticker = new Ticker(settings.healthIntervalMs, () => this.#fleet.checkAll(this.#state.serverGroups), (err) => log(`health check failed: ${(err as Error).message}`));
  }

  /**
   * Picks up where the last agent left off: adopts the instances still running, restores those
   * that died, reopens the load balancers on their ports, checks health once (so adopted
   * instances take traffic at once), then keeps checking.
   */
  async resume(): Promise<void> {
    for (const group of this.#state.serverGroups) {
      for (const instance of group.instances) {
        const how = await this.#fleet.adopt(group, instance);
        this.#settings.log(`${instance.name}: ${how} (pid ${instance.pid ?? 'none'}, port ${instance.port})`);
      }
    }
    for (const lb of [...this.#state.loadBalancers]) await this.#openLoadBalancer(lb.account, lb.location, lb.name);
    await this.#save();
    await this.#ticker.runNow();
    this.#ticker.start();
  }

  async createServerGroup(op: OperationPayload<'createServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot> {
    const { artifact } = op;
    if (artifact.type !== 'process') throw new Error(`local provider runs process artifacts only (got a docker artifact, image ${artifact.image})`);
    return this.#exclusive(op, async () => {
      let group = this.#find(op);
      if (group) {
        log(`server group ${group.name} already exists (created ${new Date(group.createdAt).toISOString()}); adopting it`);
      } else {
        group = newServerGroupRecord(op, artifact, Date.now());
        this.#state.serverGroups.push(group);
        await this.#save();
        this.#changes.fire();
        log(`created server group ${group.name} (${[artifact.command, ...artifact.args].join(' ')})`);
      }
      for (const name of group.loadBalancers) await this.#openLoadBalancer(group.account, group.location, name);
      await this.#startMissing(group, log);
      try {
        await this.#fleet.waitUntilUp(group, this.#live(group), op.healthCheck.timeoutSec * 1000, log);
      } catch (err) {
        log(`${(err as Error).message}; destroying ${group.name}`);
        await this.#destroy(group, 0, log);
        throw err;
      }
      log(`all ${group.instances.length} instances Up`);
      if (op.enabled && group.disabled) {
        group.disabled = false;
        await this.#save();
        this.#changes.fire();
        log(`enabled in ${this.#describeLoadBalancers(group)}`);
      }
      return this.#snapshot(group);
    });
  }

  async resizeServerGroup(op: OperationPayload<'resizeServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot> {
    const { min, max, desired } = op.capacity;
    if (min > desired || desired > max) throw new Error(`capacity: desired ${desired} must be between min ${min} and max ${max}`);
    return this.#exclusive(op, async () => {
      const group = this.#require(op);
      group.capacity = op.capacity;
      await this.#save();
      this.#changes.fire();
      const live = this.#live(group);
      if (live.length < desired) {
        const started = await this.#startMissing(group, log);
        if (op.waitForHealthy) await this.#fleet.waitUntilUp(group, started, group.healthCheck.timeoutSec * 1000, log);
      } else if (live.length > desired) {
        const victims = pickInstancesToStop(this.#ranked(group, live), live.length - desired).map((r) => r.instance);
        log(`stopping ${victims.map((i) => i.name).join(', ')} (draining up to ${STOP_DRAIN_MS / 1000} s first)`);
        for (const line of await Promise.all(victims.map((i) => this.#fleet.stop(group, i, STOP_DRAIN_MS)))) log(line);
      }
      log(`${group.name} has ${this.#live(group).length} instances (desired ${desired})`);
      return this.#snapshot(group);
    });
  }

  async enableServerGroup(op: OperationPayload<'enableServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot> {
    return this.#exclusive(op, async () => {
      const group = this.#require(op);
      for (const name of group.loadBalancers) await this.#openLoadBalancer(group.account, group.location, name);
      group.disabled = false;
      // Enabling undoes a partial disable too: every instance goes back.
      for (const instance of group.instances) delete instance.outOfService;
      this.#fleet.setDraining(group, this.#live(group), false);
      await this.#save();
      const up = this.#live(group).filter((i) => this.#fleet.status(group, i).health === 'Up').length;
      log(`enabled in ${this.#describeLoadBalancers(group)}; ${up} of ${this.#live(group).length} instances are Up and take traffic`);
      return this.#snapshot(group);
    });
  }

  async disableServerGroup(op: OperationPayload<'disableServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot> {
    return this.#exclusive(op, async () => {
      const group = this.#require(op);
      const percentage = op.desiredPercentage ?? 100;
      const partial = percentage < 100;
      if (group.disabled) {
        log(`${group.name} is already disabled`);
        // Every instance is out already: a share of them leaves nothing more to drain.
        if (partial) return this.#snapshot(group);
      }
      const { out, said } = partial ? this.#disablePart(group, percentage) : this.#disableWhole(group);
      this.#fleet.setDraining(group, out, true);
      await this.#save();
      log(`${said}; draining up to ${op.drainTimeoutSec} s`);
      const left = await this.#lbs.waitForDrain(out.map((i) => i.port), op.drainTimeoutSec * 1000);
      this.#fleet.setDraining(group, out, false);
      log(left ? `${left} requests still in flight after ${op.drainTimeoutSec} s; disabled anyway` : 'drained: no request in flight');
      return this.#snapshot(group);
    });
  }

  /** Takes `percentage`% of the group's instances out of rotation (rolling red/black); the group stays enabled. */
  #disablePart(group: ServerGroupRecord, percentage: number): { out: InstanceRecord[]; said: string } {
    const live = this.#live(group);
    const out = pickInstancesToDisable(this.#ranked(group, live), percentage).map((r) => r.instance);
    // Out of rotation before anything awaits: the next request already goes elsewhere.
    for (const instance of out) instance.outOfService = true;
    const left = live.filter((i) => !i.outOfService).length;
    const removed = out.length ? `removed ${out.map((i) => i.name).join(', ')}` : 'no more instances to remove';
    return { out, said: `disabling ${percentage}% of ${group.name}: ${removed}; ${left} of ${live.length} stay in ${this.#describeLoadBalancers(group)}` };
  }

  /** Takes the whole group out of rotation; its instances keep running. */
  #disableWhole(group: ServerGroupRecord): { out: InstanceRecord[]; said: string } {
    const live = this.#live(group);
    // Out of rotation before anything awaits: the next request already goes elsewhere.
    group.disabled = true;
    return { out: live, said: `removed ${live.length} instances from ${this.#describeLoadBalancers(group)}` };
  }

  async destroyServerGroup(op: OperationPayload<'destroyServerGroup'>, log: TaskLog): Promise<void> {
    await this.#exclusive(op, async () => {
      const group = this.#find(op);
      if (!group) return log(`server group ${op.serverGroupName} does not exist (already destroyed)`);
      await this.#destroy(group, STOP_DRAIN_MS, log);
    });
  }

  async inventory(account: string): Promise<InventoryReport> {
    return inventoryReport(account, this.#state.serverGroups, this.#state.loadBalancers, (g, i) => this.#fleet.status(g, i), this.#settings.host);
  }

  onChange(listener: () => void): void {
    this.#changes.listen(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ticker.stop();
    await this.#lbs.closeAll();
    await this.#save();
  }

  /** Out of rotation, drained for up to `drainMs`, every instance stopped, then forgotten. */
  async #destroy(group: ServerGroupRecord, drainMs: number, log: TaskLog): Promise<void> {
    group.disabled = true;
    const lines = await Promise.all(this.#live(group).map((i) => this.#fleet.stop(group, i, drainMs)));
    for (const line of lines) log(line);
    this.#state.serverGroups = this.#state.serverGroups.filter((g) => g !== group);
    await this.#save();
    this.#changes.fire();
    log(`destroyed server group ${group.name}`);
  }

  /** Starts instances until `capacity.desired` are running; returns the new ones. */
  async #startMissing(group: ServerGroupRecord, log: TaskLog) {
    const started = [];
    for (let n = this.#live(group).length; n < group.capacity.desired; n++) {
      const instance = await this.#fleet.start(group);
      started.push(instance);
      log(`started ${instance.name} on port ${instance.port} (pid ${instance.pid ?? 'none: it could not start'})`);
    }
    return started;
  }

  /** Opens (creating on first use) the load balancer; its port is allocated once and kept. */
  async #openLoadBalancer(account: string, location: string, name: string): Promise<LoadBalancerRecord> {
    let record = this.#state.loadBalancers.find((lb) => lb.account === account && lb.location === location && lb.name === name);
    if (!record) {
      record = { account, location, name, port: await allocatePort(this.#settings.host, this.#portsInUse()) };
      this.#state.loadBalancers.push(record);
      await this.#save();
      this.#changes.fire();
    }
    const key = scopedKey(record);
    if (this.#lbs.isOpen(key) || (await this.#lbs.openWhenFree(key, name, record.port, REOPEN_TRIES, REOPEN_DELAY_MS))) return record;
    // Better a new address than no load balancer at all; say so loudly.
    const port = await allocatePort(this.#settings.host, this.#portsInUse());
    this.#settings.log(`load balancer ${name}: port ${record.port} is taken by another program; moving to ${httpAddress(this.#settings.host, port)}`);
    record.port = port;
    await this.#save();
    this.#changes.fire();
    await this.#lbs.open(key, name, port);
    return record;
  }

  #backends(key: string): Backend[] {
    const lb = this.#state.loadBalancers.find((l) => scopedKey(l) === key);
    return lb ? backendsFor(lb, this.#state.serverGroups, (g, i) => this.#fleet.status(g, i)) : [];
  }

  /** The group's instances that are not being stopped. */
  #live(group: ServerGroupRecord) {
    return group.instances.filter((i) => !this.#fleet.status(group, i).stopping);
  }

  /** Instances with what the pick rules weigh: age, health, and whether a partial disable took them out. */
  #ranked(group: ServerGroupRecord, instances: InstanceRecord[]) {
    return instances.map((instance) => ({ instance, index: instance.index, health: this.#fleet.status(group, instance).health, outOfService: instance.outOfService === true }));
  }

  #snapshot(group: ServerGroupRecord): ServerGroupSnapshot {
    return serverGroupSnapshot(group, (g, i) => this.#fleet.status(g, i), this.#settings.host);
  }

  #describeLoadBalancers(group: ServerGroupRecord): string {
    return describeLoadBalancers(group, this.#state.loadBalancers, this.#settings.host);
  }

  #find(ref: ServerGroupRef): ServerGroupRecord | undefined {
    return this.#state.serverGroups.find((g) => g.account === ref.account && g.location === ref.location && g.name === ref.serverGroupName);
  }

  #require(ref: ServerGroupRef): ServerGroupRecord {
    const group = this.#find(ref);
    if (!group) throw new Error(`server group ${ref.serverGroupName} not found in account ${ref.account}, location ${ref.location}`);
    return group;
  }

  #exclusive<T>(ref: ServerGroupRef, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('local provider is closed'));
    return this.#locks.run(`${ref.account}/${ref.location}/${ref.serverGroupName}`, work);
  }

  #portsInUse(): Set<number> {
    return new Set([...this.#state.serverGroups.flatMap((g) => g.instances.map((i) => i.port)), ...this.#state.loadBalancers.map((lb) => lb.port)]);
  }

  #save(): Promise<void> {
    return this.#store.save(this.#state);
  }
}
