import { describe, expect, it } from 'vitest';
import { Harness, stage, wait } from '../test/harness.ts';

describe('evaluateVariables stage', () => {
  it('publishes each variable, typed, as an output; ${…} values are evaluated when the stage starts', async () => {
    const h = new Harness();
    const variables = [
      { key: 'plain', value: 'text' },
      { key: 'number', value: 3 },
      { key: 'flag', value: true },
      { key: 'object', value: { a: [1, 2] } },
      { key: 'env', value: '${parameters.env}' },
      { key: 'count', value: '${int(parameters.count) * 2}' },
      { key: 'mixed', value: 'deploy-${parameters.env}-${execution.id}' },
      { key: 'user', value: '${trigger.user}' },
    ];
    const id = await h.start(await h.pipeline({ name: 'vars', stages: [stage('1', 'evaluateVariables', { name: 'Vars', variables })] }), { parameters: { env: 'prod', count: '21' } });
    await h.run();
    expect((await h.stage(id, '1')).outputs).toEqual({ plain: 'text', number: 3, flag: true, object: { a: [1, 2] }, env: 'prod', count: 42, mixed: `deploy-prod-${id}`, user: 'token:test' });
  });

  it("later stages use the outputs through stage('Name'), stageByRefId and as typed values", async () => {
    const h = new Harness();
    const stages = [
      stage('1', 'evaluateVariables', { name: 'Vars', variables: [{ key: 'seconds', value: 5 }, { key: 'region', value: 'eu-west-1' }] }),
      wait('2', "${stage('Vars').outputs.seconds}", ['1']),
      stage('3', 'evaluateVariables', { variables: [{ key: 'where', value: "${stageByRefId('1').outputs.region}" }] }, ['1']),
    ];
    const id = await h.start(await h.pipeline({ name: 'vars-use', stages }));
    await h.run();
    expect((await h.stage(id, '2')).context).toMatchObject({ waitTime: 5 });
    expect((await h.stage(id, '3')).outputs).toEqual({ where: 'eu-west-1' });
    await h.advance(5000);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });
});
