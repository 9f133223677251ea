import { describe, expect, it } from 'vitest';
import { clusterSizeCheck, type Comparison, disableClusterTargets, rollbackPlan, scaleDownClusterTargets, shrinkClusterTargets } from './selection.ts';
import { sg } from './test-groups.ts';

// v001 oldest … v004 newest; `off` groups are disabled. Sizes differ so "larger" is visible.
const v1 = sg('hello-v001', { createdAt: 1, up: 5 });
const v2 = sg('hello-v002', { createdAt: 2, up: 2 });
const v3 = sg('hello-v003', { createdAt: 3, up: 3 });
const v4 = sg('hello-v004', { createdAt: 4, up: 1 });
const off = (g: typeof v1) => ({ ...g, disabled: true });
const zero = (g: typeof v1) => ({ ...g, capacity: { min: 0, max: g.capacity.max, desired: 0 }, instances: [] });

describe('disableClusterTargets', () => {
  it.each([
    ['keeps the newest enabled group', [v1, v2, v3], {}, ['hello-v002', 'hello-v001']],
    ['keeps the newest 2', [v1, v2, v3], { remainingEnabledServerGroups: 2 }, ['hello-v001']],
    ['keeps none when asked', [v1, v2], { remainingEnabledServerGroups: 0 }, ['hello-v002', 'hello-v001']],
    ['keeps the largest when preferred', [v1, v2, v3], { preferLargerOverNewer: true }, ['hello-v003', 'hello-v002']],
    ['ignores disabled groups', [v1, off(v2), v3], {}, ['hello-v001']],
    ['keeps a disabled group out of the count', [v1, v2, off(v3)], {}, ['hello-v001']],
    ['nothing when only one is enabled', [off(v1), v2], {}, []],
    ['an empty cluster', [], {}, []],
    // After a red/black deploy of v003: v003 counts as the one kept, every other enabled group goes.
    ['never touches what the pipeline deployed, which counts as kept', [v1, v2, v3], { exclude: ['hello-v003'] }, ['hello-v002', 'hello-v001']],
    ['keeps one more beside the deployed group when asked for 2', [v1, v2, v3], { exclude: ['hello-v003'], remainingEnabledServerGroups: 2 }, ['hello-v001']],
    ['also spares groups newer than the deployed one', [v1, v2, v3, v4], { exclude: ['hello-v002'] }, ['hello-v001']],
    ['ignores excluded names not in the cluster', [v1, v2], { exclude: ['hello-v009'] }, ['hello-v001']],
  ])('%s', (_, groups, opts, want) => {
    expect(disableClusterTargets(groups, opts)).toEqual(want);
  });
});

describe('scaleDownClusterTargets', () => {
  it.each([
    ['scales down disabled groups but the newest', [off(v1), off(v2), off(v3)], {}, ['hello-v002', 'hello-v001']],
    ['an enabled group counts as the full-size one kept', [off(v1), off(v2), v3], {}, ['hello-v002', 'hello-v001']],
    ['enabled groups count as full size', [off(v1), off(v2), v3], { remainingFullSizeServerGroups: 2 }, ['hello-v001']],
    ['never scales down enabled groups by default', [v1, v2, v3], {}, []],
    ['scales down enabled groups when allowed, keeping the newest enabled', [v1, v2, v3], { allowScaleDownActive: true }, ['hello-v002', 'hello-v001']],
    ['keeps enabled ahead of newer disabled ones when allowed', [v1, off(v2), off(v3)], { allowScaleDownActive: true }, ['hello-v003', 'hello-v002']],
    ['keeps the largest when preferred', [off(v1), off(v2), off(v3)], { preferLargerOverNewer: true }, ['hello-v003', 'hello-v002']],
    ['keeps 0 full size when asked', [off(v1), off(v2)], { remainingFullSizeServerGroups: 0 }, ['hello-v002', 'hello-v001']],
    ['does not return groups already at zero', [zero(off(v1)), off(v2), off(v3)], {}, ['hello-v002']],
    ['never touches the deployed group', [off(v1), off(v2), off(v3)], { exclude: ['hello-v003'], remainingFullSizeServerGroups: 0 }, ['hello-v002', 'hello-v001']],
    ['the deployed group counts as kept', [off(v1), off(v2), v3], { exclude: ['hello-v003'] }, ['hello-v002', 'hello-v001']],
    ['an empty cluster', [], {}, []],
  ])('%s', (_, groups, opts, want) => {
    expect(scaleDownClusterTargets(groups, opts)).toEqual(want);
  });
});

describe('shrinkClusterTargets', () => {
  it.each([
    ['destroys disabled groups but the newest', [off(v1), off(v2), off(v3)], {}, ['hello-v002', 'hello-v001']],
    ['keeps N', [off(v1), off(v2), off(v3)], { shrinkToSize: 2 }, ['hello-v001']],
    ['enabled groups count as kept and are never destroyed', [off(v1), off(v2), v3], {}, ['hello-v002', 'hello-v001']],
    ['two enabled groups already fill shrinkToSize 1', [off(v1), v2, v3], {}, ['hello-v001']],
    ['nothing to destroy when all are enabled', [v1, v2], {}, []],
    ['destroys enabled groups when allowed, keeping enabled first', [v1, off(v2), off(v3)], { allowDeleteActive: true }, ['hello-v003', 'hello-v002']],
    ['keeps the largest when retainLargerOverNewer', [off(v1), off(v2), off(v3)], { retainLargerOverNewer: true }, ['hello-v003', 'hello-v002']],
    ['shrinkToSize 0 destroys every inactive group', [off(v1), off(v2)], { shrinkToSize: 0 }, ['hello-v002', 'hello-v001']],
    ['highlander: everything but the new group', [v1, off(v2), v3, v4], { shrinkToSize: 1, allowDeleteActive: true, exclude: ['hello-v004'] }, ['hello-v003', 'hello-v001', 'hello-v002']],
    ['maxRemainingAsgs 2 after deploying v004', [off(v1), off(v2), off(v3), v4], { shrinkToSize: 2, exclude: ['hello-v004'] }, ['hello-v002', 'hello-v001']],
    ['an empty cluster', [], {}, []],
  ])('%s', (_, groups, opts, want) => {
    expect(shrinkClusterTargets(groups, opts)).toEqual(want);
  });
});

describe('rollbackPlan', () => {
  it.each([
    ['newest enabled back to the next older', [off(v1), v2, v3], {}, { current: 'hello-v003', restore: 'hello-v002' }],
    ['the next older may be disabled', [v1, off(v2), v3], {}, { current: 'hello-v003', restore: 'hello-v002' }],
    ['current is the newest ENABLED group', [v1, v2, off(v3)], {}, { current: 'hello-v002', restore: 'hello-v001' }],
    ['input order does not matter', [v3, v1, v2], {}, { current: 'hello-v003', restore: 'hello-v002' }],
    ['an explicit restore group', [v1, off(v2), v3], { restoreServerGroupName: 'hello-v001' }, { current: 'hello-v003', restore: 'hello-v001' }],
    ['an explicit current group', [v1, v2, v3], { current: 'hello-v002' }, { current: 'hello-v002', restore: 'hello-v001' }],
    ['an explicit restore newer than current', [v1, v2, off(v3)], { restoreServerGroupName: 'hello-v003' }, { current: 'hello-v002', restore: 'hello-v003' }],
    ['no enabled group', [off(v1), off(v2)], {}, { error: 'the cluster has no enabled server group to roll back' }],
    ['an empty cluster', [], {}, { error: 'the cluster has no enabled server group to roll back' }],
    ['nothing older', [off(v1), v2].slice(1), {}, { error: '"hello-v002" is the oldest server group of the cluster; there is no previous one to roll back to' }],
    ['a restore group that does not exist', [v1, v2], { restoreServerGroupName: 'hello-v007' }, { error: 'server group "hello-v007" to restore is not in this cluster and location' }],
    ['restoring the current group', [v1, v2], { restoreServerGroupName: 'hello-v002' }, { error: '"hello-v002" is the current server group; name another one to restore' }],
    ['a current group that does not exist', [v1, v2], { current: 'hello-v009' }, { error: 'server group "hello-v009" is not in this cluster and location' }],
  ])('%s', (_, groups, opts, want) => {
    expect(rollbackPlan(groups, opts)).toEqual(want);
  });
});

describe('clusterSizeCheck', () => {
  const groups = [off(v1), v2, v3];
  it.each<[Comparison, number, boolean, { ok: boolean; actual: number }]>([
    ['==', 3, false, { ok: true, actual: 3 }],
    ['==', 2, false, { ok: false, actual: 3 }],
    ['==', 2, true, { ok: true, actual: 2 }],
    ['<', 3, false, { ok: false, actual: 3 }],
    ['<', 3, true, { ok: true, actual: 2 }],
    ['<=', 3, false, { ok: true, actual: 3 }],
    ['>=', 3, true, { ok: false, actual: 2 }],
    ['>=', 1, false, { ok: true, actual: 3 }],
    ['>', 2, false, { ok: true, actual: 3 }],
    ['>', 2, true, { ok: false, actual: 2 }],
  ])('%s %i (only enabled: %s)', (comparison, expected, onlyEnabledServerGroups, want) => {
    expect(clusterSizeCheck(groups, { comparison, expected, onlyEnabledServerGroups })).toEqual(want);
  });

  it('counts an empty cluster as 0', () => {
    expect(clusterSizeCheck([], { comparison: '==', expected: 0 })).toEqual({ ok: true, actual: 0 });
  });
});
