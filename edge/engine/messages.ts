/**
 * Orca-style messages: each names one state transition of one execution and carries ids (plus
 * the little data a person or agent supplies). Each has exactly one handler in `handlers/`.
 */
import type { StageInput } from './types.ts';

type Of<T extends string, X = object> = { type: T; executionId: string } & X;
type StageMsg<T extends string, X = object> = Of<T, { stageId: string } & X>;

export type Message =
  | Of<'startExecution'>
  | StageMsg<'startStage'>
  | StageMsg<'windowOpen', { skippedBy?: string }>
  | StageMsg<'runStage'>
  | StageMsg<'stageInput', { input: StageInput }>
  | StageMsg<'checkTimeout'>
  | StageMsg<'completeStage'>
  | StageMsg<'restartStage', { user: string }>
  | Of<'completeExecution'>
  | Of<'cancelExecution', { user: string; reason: string }>
  | Of<'pauseExecution', { user: string }>
  | Of<'resumeExecution', { user: string }>
  | Of<'notifyAdmission', { pipelineId: string }>
  | Of<'notifyParent', { parentExecutionId: string; parentStageId: string; status: string }>;

export type MessageType = Message['type'];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
