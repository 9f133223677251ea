import { describe, expect, it } from 'vitest';
import { failsExecutionNow, failureStatus, finalStatus, hasWorkLeft, initialStages, isStartable, withAllDownstream } from './graph.ts';
import type { ExecutionStatus } from './types.ts';

type N = { refId: string; status: ExecutionStatus; requisiteStageRefIds: string[]; context: Record<string, unknown> };
const n = (refId: string, status: ExecutionStatus, req: string[] = [], context: Record<string, unknown> = {}): N => ({ refId, status, requisiteStageRefIds: req, context });

describe('failureStatus: what a failed stage becomes (Orca Stage.failureStatus)', () => {
  it.each<[string, Record<string, unknown>, ExecutionStatus]>([
    ['failPipeline absent → TERMINAL', {}, 'TERMINAL'],
    ['failPipeline true → TERMINAL', { failPipeline: true }, 'TERMINAL'],
    ['failPipeline false → STOPPED (halts this branch only)', { failPipeline: false }, 'STOPPED'],
    ['continuePipeline → FAILED_CONTINUE', { continuePipeline: true }, 'FAILED_CONTINUE'],
    ['continuePipeline wins over failPipeline true', { continuePipeline: true, failPipeline: true }, 'FAILED_CONTINUE'],
    ['completeOtherBranchesThenFail → STOPPED (the end status becomes TERMINAL)', { completeOtherBranchesThenFail: true }, 'STOPPED'],
    ['completeOtherBranchesThenFail with failPipeline false → STOPPED', { completeOtherBranchesThenFail: true, failPipeline: false }, 'STOPPED'],
    ['a non-boolean failPipeline counts as absent → TERMINAL', { failPipeline: 'false' }, 'TERMINAL'],
  ])('%s', (_name, context, expected) => {
    expect(failureStatus(context)).toBe(expected);
  });
});

describe('failsExecutionNow: stage statuses that end the execution at once (Orca CompleteStageHandler)', () => {
  it.each<[ExecutionStatus, boolean]>([
    ['TERMINAL', true], ['CANCELED', true], ['STOPPED', false], ['FAILED_CONTINUE', false], ['SUCCEEDED', false], ['SKIPPED', false],
  ])('%s → %s', (status, expected) => {
    expect(failsExecutionNow(status)).toBe(expected);
  });
});

describe('isStartable: a NOT_STARTED stage starts when every upstream is SUCCEEDED, FAILED_CONTINUE or SKIPPED', () => {
  it.each<[string, N[], boolean]>([
    ['no requisites', [n('1', 'NOT_STARTED')], true],
    ['upstream SUCCEEDED', [n('0', 'SUCCEEDED'), n('1', 'NOT_STARTED', ['0'])], true],
    ['upstream FAILED_CONTINUE', [n('0', 'FAILED_CONTINUE'), n('1', 'NOT_STARTED', ['0'])], true],
    ['upstream SKIPPED', [n('0', 'SKIPPED'), n('1', 'NOT_STARTED', ['0'])], true],
    ['upstream RUNNING', [n('0', 'RUNNING'), n('1', 'NOT_STARTED', ['0'])], false],
    ['upstream SUSPENDED', [n('0', 'SUSPENDED'), n('1', 'NOT_STARTED', ['0'])], false],
    ['upstream STOPPED halts the branch', [n('0', 'STOPPED'), n('1', 'NOT_STARTED', ['0'])], false],
    ['upstream TERMINAL', [n('0', 'TERMINAL'), n('1', 'NOT_STARTED', ['0'])], false],
    ['upstream CANCELED', [n('0', 'CANCELED'), n('1', 'NOT_STARTED', ['0'])], false],
    ['join: one of two upstreams still running', [n('a', 'SUCCEEDED'), n('b', 'RUNNING'), n('1', 'NOT_STARTED', ['a', 'b'])], false],
    ['join: both upstreams done', [n('a', 'SUCCEEDED'), n('b', 'SKIPPED'), n('1', 'NOT_STARTED', ['a', 'b'])], true],
    ['a requisite that does not exist never lets it start', [n('1', 'NOT_STARTED', ['ghost'])], false],
    ['a stage already RUNNING is not startable again', [n('1', 'RUNNING')], false],
  ])('%s → %s', (_name, stages, expected) => {
    expect(isStartable(stages, stages.at(-1)!)).toBe(expected);
  });
});

describe('finalStatus: the end status of an execution with nothing left to do (Orca CompleteExecutionHandler)', () => {
  it.each<[string, N[], ExecutionStatus]>([
    ['all SUCCEEDED/SKIPPED/FAILED_CONTINUE → SUCCEEDED', [n('1', 'SUCCEEDED'), n('2', 'SKIPPED'), n('3', 'FAILED_CONTINUE')], 'SUCCEEDED'],
    ['no stages → SUCCEEDED', [], 'SUCCEEDED'],
    ['any TERMINAL → TERMINAL', [n('1', 'SUCCEEDED'), n('2', 'TERMINAL'), n('3', 'CANCELED')], 'TERMINAL'],
    ['TERMINAL beats STOPPED', [n('1', 'STOPPED'), n('2', 'TERMINAL')], 'TERMINAL'],
    ['else any CANCELED → CANCELED', [n('1', 'SUCCEEDED'), n('2', 'CANCELED'), n('3', 'STOPPED')], 'CANCELED'],
    ['STOPPED branch, the rest done → SUCCEEDED', [n('1', 'STOPPED'), n('2', 'NOT_STARTED', ['1']), n('3', 'SUCCEEDED')], 'SUCCEEDED'],
    ['STOPPED with completeOtherBranchesThenFail → TERMINAL', [n('1', 'STOPPED', [], { completeOtherBranchesThenFail: true }), n('3', 'SUCCEEDED')], 'TERMINAL'],
  ])('%s', (_name, stages, expected) => {
    expect(finalStatus(stages)).toBe(expected);
  });
});

describe('hasWorkLeft: some stage runs, waits, or could still start', () => {
  it.each<[string, N[], boolean]>([
    ['a RUNNING stage', [n('1', 'RUNNING')], true],
    ['a PAUSED stage', [n('1', 'PAUSED')], true],
    ['a SUSPENDED stage (waiting for its window)', [n('1', 'SUSPENDED')], true],
    ['a startable NOT_STARTED stage', [n('1', 'SUCCEEDED'), n('2', 'NOT_STARTED', ['1'])], true],
    ['only stages behind a halted branch', [n('1', 'STOPPED'), n('2', 'NOT_STARTED', ['1'])], false],
    ['everything complete', [n('1', 'SUCCEEDED'), n('2', 'TERMINAL')], false],
  ])('%s → %s', (_name, stages, expected) => {
    expect(hasWorkLeft(stages)).toBe(expected);
  });
});

describe('DAG walks', () => {
  const dag = [n('1', 'SUCCEEDED'), n('2', 'SUCCEEDED', ['1']), n('3', 'SUCCEEDED', ['1']), n('4', 'SUCCEEDED', ['2', '3']), n('5', 'SUCCEEDED'), n('6', 'SUCCEEDED', ['5'])];
  it('initialStages are the stages without requisites (several roots allowed)', () => {
    expect(initialStages(dag).map((s) => s.refId)).toEqual(['1', '5']);
  });
  it.each<[string, string[]]>([
    ['1', ['1', '2', '3', '4']],
    ['2', ['2', '4']],
    ['4', ['4']],
    ['5', ['5', '6']],
  ])('withAllDownstream(%s) is the stage and everything that depends on it: what a restart resets', (refId, expected) => {
    expect(withAllDownstream(dag, refId).map((s) => s.refId)).toEqual(expected);
  });
});
