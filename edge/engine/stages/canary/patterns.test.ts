/**
 * How pipelines act on a canary's outcome: promote only on a pass, either by skipping the deploy
 * (`stageEnabled` on `stage('Canary').outputs.result`) or by a precondition on the score.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE, SECOND, stage, type FakeAgent, type Harness } from '../../test/harness.ts';
import { answerCollect, canaryGroups, canarySetup, canaryStage, createGroups, metrics, NEW_ARTIFACT } from './test-support.ts';

/** A red/black deploy of the new version into production. */
const promote = (h: Harness, agent: FakeAgent, refId: string, requisites: string[], extra: Record<string, unknown> = {}) =>
  stage(refId, 'deploy', {
    name: 'Promote',
    clusters: [{ account: agent.account, location: agent.location, application: h.app, stack: 'prod', strategy: 'redblack', capacity: { min: 2, max: 2, desired: 2 }, artifact: NEW_ARTIFACT }],
    ...extra,
  }, requisites);

const byStageEnabled = (h: Harness, agent: FakeAgent, prod: string) => [
  canaryStage(agent, prod, { lifetimeMins: 1, continuePipeline: true }),
  promote(h, agent, '2', ['1'], { stageEnabled: { type: 'expression', expression: "${stage('Canary').outputs.result == 'Pass'}" } }),
];
const byPrecondition = (h: Harness, agent: FakeAgent, prod: string) => [
  canaryStage(agent, prod, { lifetimeMins: 1, continuePipeline: true }),
  stage('2', 'checkPreconditions', { name: 'Canary passed?', preconditions: [{ type: 'expression', context: { expression: "${stage('Canary').outputs.score >= 75}" } }] }, ['1']),
  promote(h, agent, '3', ['2']),
];

/** Runs the pipeline with one analysis answered by `data`, every other task carried out. */
async function run(pattern: typeof byStageEnabled, worse: string[]) {
  const s = await canarySetup();
  const id = await s.h.start(await s.h.pipeline({ name: 'canary then promote', stages: pattern(s.h, s.agent, s.prod) }));
  await s.h.run();
  await createGroups(s.h, s.agent, id);
  await s.h.advance(MINUTE + 10 * SECOND);
  await answerCollect(s.h, s.agent, id, { metrics: metrics(worse) });
  await s.agent.work(id);
  const promoted = [...s.agent.groups.values()].some((g) => g.name === `${s.prod}-v004`);
  return { ...s, id, promoted };
}

describe('acting on a canary', () => {
  it('stageEnabled on outputs.result: a pass promotes', async () => {
    const r = await run(byStageEnabled, []);
    expect(await r.h.statuses(r.id)).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED' });
    expect(r.promoted).toBe(true);
    expect(canaryGroups(r.agent)).toEqual([]);
  });

  it('stageEnabled on outputs.result: a fail (continuePipeline) skips the promotion', async () => {
    const r = await run(byStageEnabled, ['errors']);
    expect(await r.h.statuses(r.id)).toEqual({ 1: 'FAILED_CONTINUE', 2: 'SKIPPED' });
    expect(r.promoted).toBe(false);
    expect(canaryGroups(r.agent)).toEqual([]);
  });

  it('a precondition on outputs.score: a pass promotes', async () => {
    const r = await run(byPrecondition, []);
    expect(await r.h.statuses(r.id)).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SUCCEEDED' });
    expect(r.promoted).toBe(true);
  });

  it('a precondition on outputs.score: a fail stops the pipeline before the promotion', async () => {
    const r = await run(byPrecondition, ['errors']);
    expect(await r.h.statuses(r.id)).toEqual({ 1: 'FAILED_CONTINUE', 2: 'TERMINAL', 3: 'NOT_STARTED' });
    expect(await r.h.status(r.id)).toBe('TERMINAL');
    expect(r.promoted).toBe(false);
  });
});
