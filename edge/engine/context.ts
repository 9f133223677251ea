import type { Env } from '../env.ts';
import type { Message } from './messages.ts';
import type { Ports } from './ports.ts';
import type { Changes, Loaded } from './store.ts';
import type { StageBehaviour, StageRuntime, StageState } from './types.ts';

/** What a handler gets: the execution as loaded, a change set, and a way to send messages. */
export interface HandlerContext {
  env: Env;
  now: number;
  loaded: Loaded;
  changes: Changes;
  ports: Ports;
  /** Sends a message, at once or at `atMs`. Messages are stored with the handler's changes. */
  emit(message: Message, atMs?: number): void;
  behaviour(type: string): StageBehaviour | undefined;
  runtime(stage: StageState): StageRuntime;
  log(event: string, fields?: Record<string, unknown>): void;
}

export type Handler<M extends Message> = (message: M, hx: HandlerContext) => Promise<void>;

/** The loaded stage a message names, or undefined (a message for a deleted stage is ignored). */
export function stageOf(hx: HandlerContext, stageId: string): StageState | undefined {
  return hx.loaded.stages.find((s) => s.id === stageId);
}
