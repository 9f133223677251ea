import type { Message } from './messages.ts';
import type { ExecutionStatus } from './types.ts';

/**
 * How the engine reaches beyond one execution. The Durable Objects supply real ports
 * (`do-ports.ts`); the test harness supplies in-process ones over the same D1.
 */
export interface Ports {
  /** Sends messages to an execution's runner. */
  send(executionId: string, messages: Message[]): Promise<void>;
  /** Asks a pipeline's admission to start whatever its concurrency rules now allow. */
  release(pipelineId: string): Promise<void>;
  /** Creates and admits a child execution (idempotent on `childId`). */
  startChild(request: ChildRequest): Promise<{ executionId: string }>;
  /** Cancels an execution, waiting or running. */
  cancel(executionId: string, user: string, reason: string): Promise<void>;
  childStatus(executionId: string): Promise<ExecutionStatus | null>;
}

export interface ChildRequest {
  childId: string;
  application: string;
  pipeline: string;
  parameters: Record<string, unknown>;
  parentExecutionId: string;
  parentStageId: string;
  user: string;
}
