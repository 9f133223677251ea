/** One task as the agent runs it: its payload checked, and the provider call it maps to. */
import { firstIssue } from '../contract/errors.ts';
import { collectedMetrics } from '../contract/canary.ts';
import { operations, taskResult, type LeasedTask, type OperationName, type OperationPayload, type TaskResult } from '../contract/operations.ts';
import type { AgentMetrics } from './metrics/index.ts';
import type { Provider, TaskLog } from './providers/provider.ts';

/** A task's operation with its payload parsed by that operation's schema. */
export type ParsedOperation = { [O in OperationName]: { operation: O; payload: OperationPayload<O> } }[OperationName];

/** Parses the task's payload; the error names the field, for a task the agent refuses to run. */
export function parseOperation(task: LeasedTask): { ok: true; op: ParsedOperation } | { ok: false; error: string } {
  const schema = operations[task.operation];
  if (!schema) return { ok: false, error: `this agent does not know operation "${task.operation}"` };
  const parsed = schema.safeParse(task.payload);
  if (!parsed.success) {
    return { ok: false, error: `malformed ${task.operation} payload: ${firstIssue(parsed.error).message}` };
  }
  return { ok: true, op: { operation: task.operation, payload: parsed.data } as ParsedOperation };
}

/** Two tasks with the same key must not run at once: they change the same server group. */
export const serverGroupKey = (op: ParsedOperation) => `${op.payload.account}/${op.payload.location}/${subjectOf(op)}`;

/** The server group a task is about (for a metrics collection, the canary's). */
export const subjectOf = (op: ParsedOperation): string => (op.operation === 'collectMetrics' ? op.payload.experiment.scope : op.payload.serverGroupName);

/**
 * The largest result an agent sends, JSON-encoded: the edge takes completions of up to 1.9 MB
 * (it keeps a result in one D1 row, at most 2 MB), and the rest leaves room for log lines.
 */
export const MAX_RESULT_BYTES = 1.5 * 1024 * 1024;

/**
 * Runs the operation through the provider (a metrics collection through the agent's metrics);
 * the result is checked against the protocol, and its size, before it is sent.
 */
export async function runOperation(provider: Provider, op: ParsedOperation, log: TaskLog, metrics?: AgentMetrics): Promise<TaskResult> {
  return checkSize(op, await resultOf(provider, op, log, metrics));
}

/**
 * Why fail here rather than let the edge refuse it: a refused completion leaves the task leased,
 * and the edge hands it out again, to fail the same way, until its attempts run out.
 */
function checkSize(op: ParsedOperation, result: TaskResult): TaskResult {
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes <= MAX_RESULT_BYTES) return result;
  const size = `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const limit = `${MAX_RESULT_BYTES / 1024 / 1024} MiB`;
  if (op.operation === 'collectMetrics') {
    const metricCount = Object.keys((result.details.metrics as object | undefined) ?? {}).length;
    throw new Error(
      `the collected metrics are ${size} encoded (${metricCount} metric(s), control and experiment), more than the ${limit} an agent may send; ` +
        'shorten the windows with lookbackMins, use a larger stepSec, or split the canary config',
    );
  }
  throw new Error(`the ${op.operation} result is ${size} encoded, more than the ${limit} an agent may send`);
}

async function resultOf(provider: Provider, op: ParsedOperation, log: TaskLog, metrics: AgentMetrics | undefined): Promise<TaskResult> {
  if (op.operation === 'collectMetrics') {
    if (!metrics) throw new Error('this agent cannot collect metrics');
    const collected = await metrics.collect(op.payload, log);
    const checked = collectedMetrics.safeParse(collected.metrics);
    if (!checked.success) throw new Error(`the collected metrics are malformed (${firstIssue(checked.error).message})`);
    return { serverGroup: null, details: { metrics: checked.data, coverage: collected.coverage } };
  }
  const serverGroup = await call(provider, op, log);
  const checked = taskResult.safeParse({ serverGroup, details: {} });
  if (!checked.success) {
    const issue = firstIssue(checked.error);
    throw new Error(`the ${provider.type} provider reported a server group the edge would refuse (${issue.message})`);
  }
  await afterCall(op, metrics, log);
  return checked.data;
}

/** Starts or stops scraping a group once the provider made or destroyed it. */
async function afterCall(op: ParsedOperation, metrics: AgentMetrics | undefined, log: TaskLog): Promise<void> {
  if (!metrics) {
    if (op.operation === 'createServerGroup' && op.payload.metrics) log('this agent does not scrape metrics: builtin canary metrics of this group will be missing');
    return;
  }
  if (op.operation === 'createServerGroup' && op.payload.metrics) {
    await metrics.created(op.payload);
    log(`scraping ${op.payload.metrics.path} of each instance every ${op.payload.metrics.stepSec}s for canary metrics`);
  } else if (op.operation === 'destroyServerGroup') await metrics.destroyed(op.payload);
}

async function call(provider: Provider, op: Exclude<ParsedOperation, { operation: 'collectMetrics' }>, log: TaskLog) {
  switch (op.operation) {
    case 'createServerGroup':
      return provider.createServerGroup(op.payload, log);
    case 'resizeServerGroup':
      return provider.resizeServerGroup(op.payload, log);
    case 'enableServerGroup':
      return provider.enableServerGroup(op.payload, log);
    case 'disableServerGroup':
      return provider.disableServerGroup(op.payload, log);
    case 'destroyServerGroup':
      await provider.destroyServerGroup(op.payload, log);
      return null;
    default: {
      const never: never = op;
      throw new Error(`unknown operation ${JSON.stringify(never)}`);
    }
  }
}
