/**
 * The instances of every server group as running processes: starting them (on a free port, or
 * on their old port when restoring), finding them again after an agent restart, checking their
 * health every tick (restarting crashed ones with backoff), and stopping them.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { describeProbe, nextHealth, probeHttp, type Probe } from './health.ts';
import { instanceLogFile, instanceName } from './names.ts';
import { allocatePort } from './ports.ts';
import type { InstanceStatus } from './snapshot.ts';
import type { InstanceRecord, ServerGroupRecord } from './state.ts';
import { isOurProcess, launch, LaunchError, stopProcess, summarizeLog, tailLog } from './supervisor.ts';

const RESTART_BASE_MS = 1_000;
const RESTART_CAP_MS = 30_000;
const WAIT_POLL_MS = 50;

interface Runtime extends InstanceStatus {
  everUp: boolean;
  /** The last probe, said in words, for "never became healthy" errors. */
  lastProbe: string;
  /** Why the process is gone (exit code, launch error); null while it runs. */
  exitInfo: string | null;
  restartAt: number | null;
  restarts: number;
}

export interface FleetOptions {
  host: string;
  stateDir: string;
  workDir: string;
  healthTimeoutMs: number;
  log: (line: string) => void;
  /** Persists the state (after an instance was added, restarted or removed). */
  save: () => Promise<void>;
  /** Something inventory shows has changed. */
  changed: () => void;
  /** Ports already given to instances or load balancers. */
  portsInUse: () => Set<number>;
  /** Waits until no request is in flight to `port` or `timeoutMs` passes. */
  drain: (port: number, timeoutMs: number) => Promise<number>;
}

/** Delay before restart number `restarts` (0-based) of a crashed instance: 1 s doubling to 30 s. */
export function restartDelayMs(restarts: number): number {
  return Math.min(RESTART_CAP_MS, RESTART_BASE_MS * 2 ** Math.min(restarts, 10));
}

/** The environment an instance gets: the agent's minus its own GENNAKER_* settings (they may hold secrets). */
export function instanceEnv(agentEnv: NodeJS.ProcessEnv, group: ServerGroupRecord, instance: InstanceRecord): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(agentEnv)) if (value !== undefined && !key.startsWith('GENNAKER_')) env[key] = value;
  return { ...env, ...group.artifact.env, PORT: String(instance.port), GENNAKER_SERVER_GROUP: group.name, GENNAKER_INSTANCE: instance.name };
}

export class Fleet {
  readonly #opts: FleetOptions;
  readonly #runtime = new Map<string, Runtime>();

  constructor(opts: FleetOptions) {
    this.#opts = opts;
  }

  /** What the provider knows of an instance now (Starting until its first check). */
  status(group: ServerGroupRecord, instance: InstanceRecord): InstanceStatus {
    return this.#runtime.get(key(group, instance)) ?? { health: 'Starting', draining: false, stopping: false };
  }

  /** Marks instances as draining (out of rotation) or back. */
  setDraining(group: ServerGroupRecord, instances: readonly InstanceRecord[], draining: boolean): void {
    for (const instance of instances) this.#get(group, instance).draining = draining;
    this.#opts.changed();
  }

  /** Starts one more instance of `group` on a free port and records it. */
  async start(group: ServerGroupRecord): Promise<InstanceRecord> {
    const index = group.nextIndex++;
    const name = instanceName(group.name, index);
    const instance: InstanceRecord = {
      name,
      index,
      port: await allocatePort(this.#opts.host, this.#opts.portsInUse()),
      pid: null,
      startTicks: null,
      launchedAt: Date.now(),
      logFile: instanceLogFile(this.#opts.stateDir, group.account, group.location, name),
    };
    group.instances.push(instance);
    this.#runtime.set(key(group, instance), fresh());
    await this.#launch(group, instance);
    await this.#opts.save();
    this.#opts.changed();
    return instance;
  }

  /**
   * After an agent restart: keeps an instance whose process still runs (the very process we
   * started, by pid and start time) and restarts, on its old port, one that died meanwhile.
   */
  async adopt(group: ServerGroupRecord, instance: InstanceRecord): Promise<'adopted' | 'restored'> {
    this.#runtime.set(key(group, instance), fresh());
    if (isOurProcess(instance.pid, instance.startTicks)) return 'adopted';
    this.#opts.log(`${instance.name}: process ${instance.pid ?? '(none)'} is gone; restoring it on port ${instance.port}`);
    await this.#launch(group, instance);
    return 'restored';
  }

  /**
   * Stops an instance for good: out of rotation at once, in-flight requests get `drainMs`,
   * then SIGTERM (SIGKILL 10 s later); then it is forgotten and its log removed.
   */
  async stop(group: ServerGroupRecord, instance: InstanceRecord, drainMs: number): Promise<string> {
    const runtime = this.#get(group, instance);
    runtime.stopping = true;
    this.#opts.changed();
    const left = drainMs > 0 ? await this.#opts.drain(instance.port, drainMs) : 0;
    const ended = await stopProcess(instance.pid, instance.startTicks);
    group.instances = group.instances.filter((i) => i !== instance);
    this.#runtime.delete(key(group, instance));
    await rm(instance.logFile, { force: true });
    await this.#opts.save();
    this.#opts.changed();
    return `${instance.name} ${ended === 'gone' ? 'was already gone' : ended}${left ? ` (${left} requests still in flight after the drain)` : ''}`;
  }

  /**
   * Waits until every one of `instances` is Up. Throws, naming the instances that are not and
   * why, when `timeoutMs` passes or as soon as one's process has died before ever being Up
   * (a bad command or a crash at start will not heal by waiting).
   */
  async waitUntilUp(group: ServerGroupRecord, instances: readonly InstanceRecord[], timeoutMs: number, log: (line: string) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let reported = '';
    for (;;) {
      const pending = instances.filter((i) => this.#get(group, i).health !== 'Up');
      if (!pending.length) return;
      const dead = pending.filter((i) => this.#get(group, i).exitInfo !== null && !this.#get(group, i).everUp);
      if (dead.length || Date.now() >= deadline) {
        const why = await Promise.all(pending.map((i) => this.#explain(group, i)));
        const reason = dead.length ? 'a process exited before it was healthy' : `not healthy within ${Math.round(timeoutMs / 1000)} s`;
        throw new Error(`server group ${group.name}: ${pending.length} of ${instances.length} instances never became healthy (${reason}): ${why.join('; ')}`);
      }
      const progress = `${instances.length - pending.length}/${instances.length} instances Up`;
      if (progress !== reported) log((reported = progress));
      await delay(WAIT_POLL_MS);
    }
  }

  /** One health round over all instances of `groups`; restarts crashed ones when their backoff is over. */
  async checkAll(groups: readonly ServerGroupRecord[]): Promise<void> {
    const checks = groups.flatMap((group) => group.instances.map((instance) => this.#check(group, instance)));
    const changed = await Promise.all(checks);
    if (changed.some(Boolean)) this.#opts.changed();
  }

  async #check(group: ServerGroupRecord, instance: InstanceRecord): Promise<boolean> {
    const runtime = this.#runtime.get(key(group, instance));
    if (!runtime || runtime.stopping) return false;
    let probe: Probe;
    if (isOurProcess(instance.pid, instance.startTicks)) {
      probe = await probeHttp(this.#opts.host, instance.port, group.healthCheck.path, this.#opts.healthTimeoutMs);
    } else {
      probe = { kind: 'exited' };
      runtime.exitInfo ??= 'process exited';
      runtime.restartAt ??= Date.now() + restartDelayMs(runtime.restarts);
      if (Date.now() >= runtime.restartAt) await this.#restart(group, instance, runtime);
    }
    if (runtime.stopping) return false;
    runtime.lastProbe = describeProbe(probe);
    const health = nextHealth(runtime.health, runtime.everUp, probe);
    if (health === runtime.health) return false;
    this.#opts.log(`${instance.name}: ${runtime.health} → ${health} (${runtime.lastProbe})`);
    runtime.health = health;
    if (health === 'Up') {
      runtime.everUp = true;
      runtime.restarts = 0;
    }
    return true;
  }

  async #restart(group: ServerGroupRecord, instance: InstanceRecord, runtime: Runtime): Promise<void> {
    runtime.restarts++;
    runtime.restartAt = null;
    this.#opts.log(`${instance.name}: ${runtime.exitInfo}; restarting it on port ${instance.port} (restart ${runtime.restarts})`);
    await this.#launch(group, instance);
    await this.#opts.save();
  }

  /** (Re)starts the instance's process on its port; a launch failure leaves it Down with the reason. */
  async #launch(group: ServerGroupRecord, instance: InstanceRecord): Promise<void> {
    const runtime = this.#get(group, instance);
    const artifact = group.artifact;
    Object.assign(runtime, { health: 'Starting', everUp: false, exitInfo: null, restartAt: null } satisfies Partial<Runtime>);
    try {
      const launched = await launch({ command: artifact.command, args: artifact.args, env: instanceEnv(process.env, group, instance), cwd: this.#opts.workDir, logFile: instance.logFile });
      Object.assign(instance, { pid: launched.pid, startTicks: launched.startTicks, launchedAt: Date.now() });
      // A stop that began while this (re)start was under way read the old pid: stop this one here.
      if (runtime.stopping || !group.instances.includes(instance)) {
        await stopProcess(launched.pid, launched.startTicks);
        return;
      }
      launched.child.once('exit', (code, signal) => {
        if (instance.pid !== launched.pid) return;
        runtime.exitInfo = signal ? `process ${launched.pid} was killed by ${signal}` : `process ${launched.pid} exited with code ${code}`;
      });
    } catch (err) {
      if (!(err instanceof LaunchError)) throw err;
      Object.assign(instance, { pid: null, startTicks: null });
      Object.assign(runtime, { health: 'Down', exitInfo: err.message });
    }
  }

  async #explain(group: ServerGroupRecord, instance: InstanceRecord): Promise<string> {
    const runtime = this.#get(group, instance);
    if (runtime.exitInfo === null) return `${instance.name} (${runtime.health}: ${runtime.lastProbe || 'not checked yet'})`;
    const summary = summarizeLog(await tailLog(instance.logFile));
    return `${instance.name} (${runtime.exitInfo}${summary ? `; its log says: ${summary}` : ''})`;
  }

  #get(group: ServerGroupRecord, instance: InstanceRecord): Runtime {
    let runtime = this.#runtime.get(key(group, instance));
    if (!runtime) this.#runtime.set(key(group, instance), (runtime = fresh()));
    return runtime;
  }
}

function key(group: ServerGroupRecord, instance: InstanceRecord): string {
  return `${group.account}/${group.location}/${instance.name}`;
}

function fresh(): Runtime {
  return { health: 'Starting', draining: false, stopping: false, everUp: false, lastProbe: '', exitInfo: null, restartAt: null, restarts: 0 };
}
