/**
 * What the local provider remembers across agent restarts: its server groups, their instances
 * (pid, port, log file) and the front ports of its load balancers. One JSON file, rewritten
 * whole and atomically (temporary file + rename) after every change.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { capacitySpec, moniker, type OperationPayload } from '../../../contract/operations.ts';
import { loadBalancersFor } from './names.ts';

export const STATE_FILE_NAME = 'local-provider.json';

const processArtifact = z.strictObject({
  type: z.literal('process'),
  command: z.string(),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  version: z.string().optional(),
});
export type ProcessArtifact = z.infer<typeof processArtifact>;

export const instanceRecord = z.strictObject({
  /** `<server group>-<index>`; also the instance id. */
  name: z.string().min(1),
  index: z.number().int().min(0),
  port: z.number().int().min(1).max(65535),
  /** Null when the process could not be started at all (e.g. the command does not exist). */
  pid: z.number().int().positive().nullable(),
  /**
   * When the process started, in clock ticks since boot (/proc/<pid>/stat field 22); tells our
   * process from a later one that got the same pid. Null where /proc is missing.
   */
  startTicks: z.string().nullable(),
  launchedAt: z.number().int(),
  logFile: z.string(),
  /**
   * Taken out of its load balancers by a disable by percentage (rolling red/black) while its
   * group stays enabled; kept across agent restarts so the traffic split does too.
   */
  outOfService: z.boolean().optional(),
});
export type InstanceRecord = z.infer<typeof instanceRecord>;

export const serverGroupRecord = z.strictObject({
  account: z.string().min(1),
  location: z.string().min(1),
  name: z.string().min(1),
  moniker,
  capacity: capacitySpec,
  artifact: processArtifact,
  /** The load balancers it is attached to (enabled or not). */
  loadBalancers: z.array(z.string().min(1)),
  disabled: z.boolean(),
  createdAt: z.number().int(),
  healthCheck: z.strictObject({ path: z.string(), timeoutSec: z.number().int().min(1) }),
  /** The index the next instance gets; indexes are never reused within a group. */
  nextIndex: z.number().int().min(0),
  instances: z.array(instanceRecord),
});
export type ServerGroupRecord = z.infer<typeof serverGroupRecord>;

export const loadBalancerRecord = z.strictObject({
  account: z.string().min(1),
  location: z.string().min(1),
  name: z.string().min(1),
  /** Allocated once and kept, so the address clients use survives agent restarts. */
  port: z.number().int().min(1).max(65535),
});
export type LoadBalancerRecord = z.infer<typeof loadBalancerRecord>;

export const localState = z.strictObject({
  version: z.literal(1),
  serverGroups: z.array(serverGroupRecord),
  loadBalancers: z.array(loadBalancerRecord),
});
export type LocalState = z.infer<typeof localState>;

/**
 * The record of the group a create makes, before any instance starts. It is out of rotation
 * until every instance is healthy; the create enables it then if asked to.
 */
export function newServerGroupRecord(op: OperationPayload<'createServerGroup'>, artifact: ProcessArtifact, createdAt: number): ServerGroupRecord {
  return {
    account: op.account,
    location: op.location,
    name: op.serverGroupName,
    moniker: op.moniker,
    capacity: op.capacity,
    artifact: { type: 'process', command: artifact.command, args: artifact.args, env: artifact.env, ...(artifact.version === undefined ? {} : { version: artifact.version }) },
    loadBalancers: loadBalancersFor(op.loadBalancers, op.moniker.cluster),
    disabled: true,
    createdAt,
    healthCheck: { ...op.healthCheck, path: op.healthCheck.path.startsWith('/') ? op.healthCheck.path : `/${op.healthCheck.path}` },
    nextIndex: 0,
    instances: [],
  };
}

/** Where a server group or load balancer lives: names are unique per account and location. */
export function scopedKey(r: { account: string; location: string; name: string }): string {
  return `${r.account}/${r.location}/${r.name}`;
}

/** The state file exists but is not a local provider state. */
export class LocalStateError extends Error {}

/** Reads and writes the state file; writes are serialized so the last change always wins. */
export class StateStore {
  readonly file: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, STATE_FILE_NAME);
  }

  /** The saved state, or an empty one on first start. */
  async load(): Promise<LocalState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, serverGroups: [], loadBalancers: [] };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new LocalStateError(`${this.file} is not JSON; the processes it listed are not managed until it is fixed or removed`);
    }
    const parsed = localState.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LocalStateError(`${this.file} is not a local provider state (${issue?.path.join('.')}: ${issue?.message})`);
    }
    return parsed.data;
  }

  /** Saves `state` as it is now; resolves once it (and every earlier save) is on disk. */
  save(state: LocalState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const write = this.#writing.then(() => this.#write(text));
    // A failed write must not wedge later ones; the caller of this save still sees the error.
    this.#writing = write.catch(() => undefined);
    return write;
  }

  async #write(text: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
