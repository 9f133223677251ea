/**
 * What an agent does for the accounts of one provider (Clouddriver's job in Spinnaker). Each
 * provider lives in its own folder (`local/`, later `kubernetes/`, `dcos/`) behind this interface.
 * Every operation must be idempotent: a task re-delivered after an agent crash runs again, and
 * must find the work it already did (a second create finds the group it made) instead of
 * repeating it.
 */
import type { InventoryReport, OperationPayload, ServerGroupSnapshot } from '../../contract/operations.ts';

/** Where an operation writes what it does; the lines reach the execution page. */
export type TaskLog = (line: string) => void;

export interface Provider {
  readonly type: 'local' | 'kubernetes' | 'dcos';
  /** Creates the group (or finds it), waits until `capacity.desired` instances are Up, then enables it if asked. */
  createServerGroup(op: OperationPayload<'createServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot>;
  resizeServerGroup(op: OperationPayload<'resizeServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot>;
  enableServerGroup(op: OperationPayload<'enableServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot>;
  /** Takes the group out of its load balancers and lets in-flight requests finish. */
  disableServerGroup(op: OperationPayload<'disableServerGroup'>, log: TaskLog): Promise<ServerGroupSnapshot>;
  /** Destroys the group; destroying one that is already gone succeeds. */
  destroyServerGroup(op: OperationPayload<'destroyServerGroup'>, log: TaskLog): Promise<void>;
  /** Everything the account runs now, with instance health. */
  inventory(account: string): Promise<InventoryReport>;
  /** Called whenever something changed that inventory would show (so the agent reports at once). */
  onChange(listener: () => void): void;
  /** Stops background work (health checks, proxies) without stopping what runs. */
  close(): Promise<void>;
}
