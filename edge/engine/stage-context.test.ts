/**
 * A stage's context: `${…}` expressions evaluated when the stage starts (never before), errors
 * pinned to the stage and the field, and the size bound on what one stage may hold.
 */
import { describe, expect, it } from 'vitest';
import { maxStageBytes } from './steps.ts';
import { Harness, judgment, SECOND, stage, wait } from './test/harness.ts';

describe('expressions in a stage context', () => {
  it('are evaluated when the stage starts, not before: until then the stored context holds them as written', async () => {
    const h = new Harness();
    const stages = [
      wait('1', 10, [], { name: 'First' }),
      stage('2', 'evaluateVariables', { name: 'Then', variables: [{ key: 'env', value: '${parameters.env}' }, { key: 'first', value: "${stage('First').status}" }, { key: 'me', value: '${currentStage().name}' }] }, ['1']),
    ];
    const id = await h.start(await h.pipeline({ name: 'late', stages }), { parameters: { env: 'prod' } });
    await h.run();
    await h.advance(5 * SECOND);
    expect((await h.stage(id, '2')).context).toEqual({ variables: [{ key: 'env', value: '${parameters.env}' }, { key: 'first', value: "${stage('First').status}" }, { key: 'me', value: '${currentStage().name}' }] });
    await h.advance(5 * SECOND);
    const s = await h.stage(id, '2');
    // At its start stage First had SUCCEEDED: it is evaluated then, not when the execution began.
    expect(s.context).toEqual({ variables: [{ key: 'env', value: 'prod' }, { key: 'first', value: 'SUCCEEDED' }, { key: 'me', value: 'Then' }] });
    expect(s.outputs).toEqual({ env: 'prod', first: 'SUCCEEDED', me: 'Then' });
  });

  it("reads an earlier stage's outputs with stage('Name').outputs.x", async () => {
    const h = new Harness();
    const stages = [
      stage('1', 'evaluateVariables', { name: 'Build', variables: [{ key: 'image', value: 'web:1.4.2' }] }),
      judgment('2', ['1'], { instructions: "Ship ${stage('Build').outputs.image} to ${parameters.env}?" }),
    ];
    const id = await h.start(await h.pipeline({ name: 'outputs', stages }), { parameters: { env: 'prod' } });
    await h.run();
    expect((await h.stage(id, '2')).context).toMatchObject({ instructions: 'Ship web:1.4.2 to prod?' });
  });

  type Failure = { rule: string; extra: Record<string, unknown>; type?: string; field: string; expression: string; reason?: RegExp };
  const failures: Failure[] = [
    { rule: 'an unknown parameter', extra: { waitTime: '${parameters.nope}' }, field: 'waitTime', expression: 'parameters.nope', reason: /nope/ },
    { rule: 'an unknown stage name', extra: { instructions: "${stage('Missing').outputs.x}" }, type: 'manualJudgment', field: 'instructions', expression: "stage('Missing').outputs.x", reason: /no stage named "Missing"/ },
    { rule: 'an unknown refId', extra: { instructions: "${stageByRefId('99').status}" }, type: 'manualJudgment', field: 'instructions', expression: "stageByRefId('99').status", reason: /no stage with refId "99"/ },
    { rule: 'an unknown output of a known stage', extra: { instructions: "${stage('Vars').outputs.missing}" }, type: 'manualJudgment', field: 'instructions', expression: "stage('Vars').outputs.missing", reason: /missing/ },
    { rule: 'a nested field, named by its JSON path', extra: { variables: [{ key: 'ok', value: 1 }, { key: 'bad', value: 'x-${parameters.nope}-y' }] }, type: 'evaluateVariables', field: 'variables[1].value', expression: 'parameters.nope' },
    { rule: 'bad syntax', extra: { instructions: '${parameters.env ==}' }, type: 'manualJudgment', field: 'instructions', expression: 'parameters.env ==' },
    { rule: 'a function that does not exist', extra: { instructions: '${frobnicate(1)}' }, type: 'manualJudgment', field: 'instructions', expression: 'frobnicate(1)', reason: /frobnicate/ },
  ];
  it.each(failures)("a failing expression ($rule) fails the stage with kind 'user', the field and the expression", async ({ extra, type, field, expression, reason }) => {
    const h = new Harness();
    const stages = [stage('1', 'evaluateVariables', { name: 'Vars', variables: [{ key: 'x', value: 1 }] }), stage('2', type ?? 'wait', extra, ['1']), wait('3', 0, ['2'])];
    const id = await h.start(await h.pipeline({ name: 'bad-expr', stages }), { parameters: { env: 'prod' } });
    await h.run();
    const s = await h.stage(id, '2');
    expect(s.status).toBe('TERMINAL');
    expect(s.error).toMatchObject({ kind: 'user', field, expression });
    expect(s.error!.message.startsWith(`${field}: `)).toBe(true);
    if (reason) expect(s.error!.message).toMatch(reason);
    // The context keeps the expressions as written, so a restart evaluates them afresh.
    expect(s.context).toMatchObject(extra);
    expect(s.startedAt).toBe(h.now);
    expect((await h.stage(id, '3')).status).toBe('NOT_STARTED');
    expect(await h.status(id)).toBe('TERMINAL');
  });

  it('an expression failure honours the failure options: continuePipeline lets downstream run', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'bad-expr-continue', stages: [wait('1', '${parameters.nope}', [], { continuePipeline: true }), wait('2', 0, ['1'])] }));
    await h.run();
    expect(await h.statuses(id)).toEqual({ '1': 'FAILED_CONTINUE', '2': 'SUCCEEDED' });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });
});

describe('size bound on a stage', () => {
  // Parameters are strings of up to 10 000 characters through the API; here we make them as big as we need.
  const blob = 'x'.repeat(60_000);

  it(`an evaluated context over ${maxStageBytes / 1024} KiB fails the stage with an error naming the size; the small written context is kept`, async () => {
    const h = new Harness();
    const variables = Array.from({ length: 5 }, (_, i) => ({ key: `v${i}`, value: '${parameters.blob}' }));
    const id = await h.start(await h.pipeline({ name: 'huge-context', stages: [stage('1', 'evaluateVariables', { variables })] }), { parameters: { blob } });
    await h.run();
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error).toMatchObject({ kind: 'user', field: 'context' });
    expect(s.error!.message).toMatch(/evaluated context would be 29\d\.\d KiB of JSON, over the 256 KiB limit per stage/);
    expect(s.context).toEqual({ variables });
    expect(s.outputs).toEqual({});
  });

  it(`outputs that would take context and outputs over ${maxStageBytes / 1024} KiB fail the stage and are not stored`, async () => {
    const h = new Harness();
    // 3 × 60 KB evaluated context is under the bound; the same again as outputs is over it.
    const variables = Array.from({ length: 3 }, (_, i) => ({ key: `v${i}`, value: '${parameters.blob}' }));
    const id = await h.start(await h.pipeline({ name: 'huge-outputs', stages: [stage('1', 'evaluateVariables', { variables }, [], ), wait('2', 0, ['1'])] }), { parameters: { blob } });
    await h.run();
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error).toMatchObject({ kind: 'user', field: 'outputs' });
    expect(s.error!.message).toMatch(/context and outputs would be 35\d\.\d KiB of JSON, over the 256 KiB limit per stage/);
    expect(s.outputs).toEqual({});
    expect(await h.statuses(id)).toEqual({ '1': 'TERMINAL', '2': 'NOT_STARTED' });
  });

  it('a stage just under the bound runs normally', async () => {
    const h = new Harness();
    const variables = [{ key: 'v', value: '${parameters.blob}' }];
    const id = await h.start(await h.pipeline({ name: 'big-ok', stages: [stage('1', 'evaluateVariables', { variables })] }), { parameters: { blob } });
    await h.run();
    expect(await h.status(id)).toBe('SUCCEEDED');
    expect((await h.stage(id, '1')).outputs).toEqual({ v: blob });
  });
});
