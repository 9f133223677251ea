import { describe, expect, it } from 'vitest';
import type { ExecutionStatus } from '../types.ts';
import { Harness, stage } from '../test/harness.ts';

const expression = (expr: string, extra: Record<string, unknown> = {}) => ({ type: 'expression', ...extra, context: { expression: expr, ...((extra.context as object) ?? {}) } });
const stageStatus = (stageName: string, status: string, extra: Record<string, unknown> = {}) => ({ type: 'stageStatus', ...extra, context: { stageName, stageStatus: status } });

describe('checkPreconditions stage', () => {
  type Case = { rule: string; preconditions: Record<string, unknown>[]; status: ExecutionStatus; message?: string; field?: string; warnings?: string[] };
  const cases: Case[] = [
    { rule: 'expression ${true} passes', preconditions: [expression('${true}')], status: 'SUCCEEDED', warnings: [] },
    { rule: 'expression ${false} fails the stage, naming the precondition', preconditions: [expression('${false}')], status: 'TERMINAL', message: 'expression "${false}" is false', field: 'preconditions[0]' },
    { rule: 'a failing expression uses its failureMessage', preconditions: [{ type: 'expression', context: { expression: '${false}', failureMessage: 'prod is frozen' } }], status: 'TERMINAL', message: 'prod is frozen', field: 'preconditions[0]' },
    { rule: 'an expression over parameters, evaluated when the stage starts', preconditions: [expression("${parameters.env == 'prod'}")], status: 'SUCCEEDED', warnings: [] },
    { rule: 'an expression written without ${ } is evaluated too', preconditions: [expression("parameters.env == 'prod'")], status: 'SUCCEEDED', warnings: [] },
    { rule: 'a bare expression that is false fails', preconditions: [expression("parameters.env == 'dev'")], status: 'TERMINAL', message: 'expression "parameters.env == \'dev\'" is false', field: 'preconditions[0]' },
    { rule: "an expression over an earlier stage's outputs", preconditions: [expression("${stage('First').outputs.replicas == 3}")], status: 'SUCCEEDED', warnings: [] },
    { rule: 'anything but true fails, saying what it was', preconditions: [expression('${parameters.env}')], status: 'TERMINAL', message: 'expression "${parameters.env}" is "prod", not true', field: 'preconditions[0]' },
    {
      rule: 'a value that came out of ${ } is data, never evaluated again as an expression',
      preconditions: [expression('${parameters.sneaky}')],
      status: 'TERMINAL', message: 'expression "${parameters.sneaky}" is "parameters.env == \'prod\'", not true', field: 'preconditions[0]',
    },
    { rule: 'a bare expression that does not evaluate fails, saying why', preconditions: [expression('nope.x')], status: 'TERMINAL', field: 'preconditions[0]' },
    { rule: 'stageStatus: the named stage has the status', preconditions: [stageStatus('First', 'SUCCEEDED')], status: 'SUCCEEDED', warnings: [] },
    { rule: 'stageStatus: a comma-separated list in any case', preconditions: [stageStatus('First', 'terminal, succeeded')], status: 'SUCCEEDED', warnings: [] },
    { rule: 'stageStatus: another status fails, saying what it is', preconditions: [stageStatus('First', 'TERMINAL')], status: 'TERMINAL', message: 'stage "First" is SUCCEEDED, expected TERMINAL', field: 'preconditions[0]' },
    { rule: 'stageStatus: an unknown stage fails', preconditions: [stageStatus('Nope', 'SUCCEEDED')], status: 'TERMINAL', message: 'no stage named "Nope"', field: 'preconditions[0]' },
    { rule: 'clusterSize fails when the cluster has fewer server groups than expected (none reported here)', preconditions: [{ type: 'clusterSize', context: { account: 'a', cluster: 'c', regions: ['r'], expected: 1 } }], status: 'TERMINAL', field: 'preconditions[0]' },
    { rule: 'failPipeline false on a precondition: it only warns and the stage SUCCEEDS', preconditions: [expression('${false}', { failPipeline: false })], status: 'SUCCEEDED', warnings: ['expression "${false}" is false'] },
    {
      rule: 'every precondition must hold: the first hard failure fails the stage, warnings before it are kept',
      preconditions: [expression('${false}', { failPipeline: false }), expression('${true}'), stageStatus('First', 'TERMINAL')],
      status: 'TERMINAL', field: 'preconditions[2]', warnings: ['expression "${false}" is false'],
    },
    { rule: "the stage's own failPipeline false makes a failed check STOPPED", preconditions: [expression('${false}')], status: 'STOPPED', field: 'preconditions[0]' },
  ];

  it.each(cases)('$rule', async ({ rule, preconditions, status, message, field, warnings }) => {
    const h = new Harness();
    const own = rule.startsWith("the stage's own failPipeline false") ? { failPipeline: false } : {};
    const stages = [stage('1', 'evaluateVariables', { name: 'First', variables: [{ key: 'replicas', value: 3 }] }), stage('2', 'checkPreconditions', { preconditions, ...own }, ['1'])];
    const id = await h.start(await h.pipeline({ name: 'pre', stages }), { parameters: { env: 'prod', sneaky: "parameters.env == 'prod'" } });
    await h.run();
    const s = await h.stage(id, '2');
    expect(s.status).toBe(status);
    if (status === 'SUCCEEDED') expect(s.error).toBeNull();
    else expect(s.error).toMatchObject({ kind: 'user', field, ...(message ? { message } : {}) });
    if (warnings) expect(s.outputs).toEqual({ warnings });
  });
});
