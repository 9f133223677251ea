import { describe, expect, it } from 'vitest';
import { sg } from './test-groups.ts';
import { checkGuard, type GuardOperation, type GuardRule, matchingGuard } from './traffic-guards.ts';

const at = { account: 'prod', location: 'eu' };
const g = (account: string, location: string, stack = '', detail = '', enabled?: boolean): GuardRule => ({ account, location, stack, detail, ...(enabled === undefined ? {} : { enabled }) });

describe('matchingGuard', () => {
  const plain = { stack: '', detail: '' };
  it.each<[string, GuardRule[], { stack: string; detail: string }, GuardRule | null]>([
    ['no guards', [], plain, null],
    ['exact account and location', [g('prod', 'eu')], plain, g('prod', 'eu')],
    ['wildcard account', [g('*', 'eu')], plain, g('*', 'eu')],
    ['wildcard location', [g('prod', '*')], plain, g('prod', '*')],
    ['other account', [g('test', '*')], plain, null],
    ['other location', [g('prod', 'us')], plain, null],
    ['missing enabled means enabled', [{ account: 'prod', location: 'eu' }], plain, { account: 'prod', location: 'eu' }],
    ['disabled guard', [g('prod', 'eu', '', '', false)], plain, null],
    ['empty stack does not match a stack', [g('prod', 'eu')], { stack: 'web', detail: '' }, null],
    ['empty detail does not match a detail', [g('prod', 'eu')], { stack: '', detail: 'canary' }, null],
    ['named stack', [g('prod', 'eu', 'web')], { stack: 'web', detail: '' }, g('prod', 'eu', 'web')],
    ['named stack does not match another', [g('prod', 'eu', 'web')], { stack: 'api', detail: '' }, null],
    ['named stack does not match empty', [g('prod', 'eu', 'web')], plain, null],
    ['wildcard stack and detail', [g('prod', 'eu', '*', '*')], { stack: 'web', detail: 'canary' }, g('prod', 'eu', '*', '*')],
    ['wildcard stack matches empty', [g('prod', 'eu', '*', '')], plain, g('prod', 'eu', '*', '')],
    ['skips a disabled match for an enabled one', [g('prod', 'eu', '', '', false), g('*', '*')], plain, g('*', '*')],
    ['most specific account wins', [g('*', 'eu'), g('prod', '*')], plain, g('prod', '*')],
    ['then most specific location', [g('prod', '*'), g('prod', 'eu')], plain, g('prod', 'eu')],
    ['then stack', [g('prod', 'eu', '*', 'x'), g('prod', 'eu', 'web', '*')], { stack: 'web', detail: 'x' }, g('prod', 'eu', 'web', '*')],
    ['an empty stack is more specific than *', [g('*', '*', '*'), g('*', '*', '')], plain, g('*', '*', '')],
    ['equally specific: first listed', [{ account: '*', location: '*' }, g('*', '*')], plain, { account: '*', location: '*' }],
  ])('%s', (_, guards, moniker, want) => {
    expect(matchingGuard(guards, { ...at, moniker })).toEqual(want);
  });

  it('treats a missing stack or detail on the moniker or guard as empty', () => {
    expect(matchingGuard([{ account: 'prod', location: 'eu' }], { ...at, moniker: { stack: null } })).not.toBeNull();
  });
});

describe('checkGuard', () => {
  const guards = [g('prod', '*')];
  const v1 = sg('hello-v001', { createdAt: 1, up: 2 });
  const v2 = sg('hello-v002', { createdAt: 2, up: 3 });
  const v1Disabled = sg('hello-v001', { createdAt: 1, up: 2, disabled: true });
  const v2Starting = sg('hello-v002', { createdAt: 2, up: 0, other: ['Starting', 'Starting'] });
  const refused = (what: string) => ({ ok: false, message: `traffic guard {account: prod, location: *, stack: "", detail: ""} protects cluster "hello" in prod/eu: ${what} would leave it with no Up instances` });
  const ok = { ok: true };

  it.each<[string, typeof v1[], GuardOperation, object]>([
    ['disabling the only serving group', [v1], { kind: 'disable', serverGroups: ['hello-v001'] }, refused('disabling hello-v001')],
    ['disabling one of two serving groups', [v1, v2], { kind: 'disable', serverGroups: ['hello-v001'] }, ok],
    ['disabling both serving groups', [v1, v2], { kind: 'disable', serverGroups: ['hello-v001', 'hello-v002'] }, refused('disabling hello-v001, hello-v002')],
    ['disabling the serving group when the other is disabled (its Up instances take no traffic)', [v1Disabled, v2], { kind: 'disable', serverGroups: ['hello-v002'] }, refused('disabling hello-v002')],
    ['disabling a group whose new one is still starting', [v1, v2Starting], { kind: 'disable', serverGroups: ['hello-v001'] }, refused('disabling hello-v001')],
    ['destroying the only serving group', [v1Disabled, v2], { kind: 'destroy', serverGroups: ['hello-v002'] }, refused('destroying hello-v002')],
    ['destroying a disabled group', [v1Disabled, v2], { kind: 'destroy', serverGroups: ['hello-v001'] }, ok],
    ['destroying a group not in the cluster', [v2], { kind: 'destroy', serverGroups: ['hello-v009'] }, ok],
    ['resizing the only serving group to 0', [v2], { kind: 'resize', serverGroup: 'hello-v002', desired: 0 }, refused('resizing hello-v002 to 0')],
    ['resizing the only serving group to 1', [v2], { kind: 'resize', serverGroup: 'hello-v002', desired: 1 }, ok],
    ['resizing a disabled group to 0', [v1Disabled, v2], { kind: 'resize', serverGroup: 'hello-v001', desired: 0 }, ok],
    ['disabling some instances', [v1], { kind: 'disableInstances', instances: ['hello-v001-i0'] }, ok],
    ['disabling every Up instance', [v1], { kind: 'disableInstances', instances: ['hello-v001-i0', 'hello-v001-i1'] }, refused('disabling instances hello-v001-i0, hello-v001-i1')],
    ['terminating every Up instance', [v1], { kind: 'terminateInstances', instances: ['hello-v001-i1', 'hello-v001-i0'] }, refused('terminating instances hello-v001-i1, hello-v001-i0')],
    ['terminating the Up instances of one of two groups', [v1, v2], { kind: 'terminateInstances', instances: ['hello-v001-i1', 'hello-v001-i0'] }, ok],
    ['anything when nothing is Up now', [v2Starting], { kind: 'destroy', serverGroups: ['hello-v002'] }, ok],
    ['anything when only disabled groups have Up instances', [v1Disabled], { kind: 'destroy', serverGroups: ['hello-v001'] }, ok],
    ['an empty cluster', [], { kind: 'destroy', serverGroups: ['hello-v001'] }, ok],
  ])('%s', (_, cluster, operation, verdict) => {
    expect(checkGuard({ guards, cluster, operation, target: at })).toEqual(verdict);
  });

  it('allows anything in an unguarded cluster, location or account', () => {
    const operation: GuardOperation = { kind: 'destroy', serverGroups: ['hello-v001'] };
    expect(checkGuard({ guards: [], cluster: [v1], operation, target: at })).toEqual(ok);
    expect(checkGuard({ guards: [g('prod', 'us')], cluster: [v1], operation, target: at })).toEqual(ok);
    expect(checkGuard({ guards: [g('prod', '*', 'web')], cluster: [v1], operation, target: at })).toEqual(ok);
    expect(checkGuard({ guards: [g('prod', '*', '', '', false)], cluster: [v1], operation, target: at })).toEqual(ok);
  });

  it('names the guard that matched, with its stack and detail, and the cluster', () => {
    const web = sg('hello-web-blue-v003', { up: 1 });
    const verdict = checkGuard({ guards: [g('*', 'eu', 'web', '*')], cluster: [web], operation: { kind: 'disable', serverGroups: [web.name] }, target: { account: 'local', location: 'eu' } });
    expect(verdict).toEqual({
      ok: false,
      message: 'traffic guard {account: *, location: eu, stack: "web", detail: "*"} protects cluster "hello-web-blue" in local/eu: disabling hello-web-blue-v003 would leave it with no Up instances',
    });
  });

  describe('with a minimum capacity ratio', () => {
    const four = sg('hello-v001', { up: 4 });
    it.each([
      [0.3, 'hello-v001-i0', ok],
      [0.3, 'hello-v001-i0 hello-v001-i1 hello-v001-i2', {
        ok: false,
        message: 'traffic guard {account: prod, location: *, stack: "", detail: ""} protects cluster "hello" in prod/eu: terminating instances hello-v001-i0, hello-v001-i1, hello-v001-i2 would leave it with 1 Up instance (25% of the 4 Up instances now; the minimum is 30%)',
      }],
      // Exactly at the minimum is refused, as in Orca (`ratio <= min`).
      [0.25, 'hello-v001-i0 hello-v001-i1 hello-v001-i2', { ok: false }],
      [0.24, 'hello-v001-i0 hello-v001-i1 hello-v001-i2', ok],
    ])('ratio %d, terminating %s', (minCapacityRatio, names, verdict) => {
      const result = checkGuard({ guards, cluster: [four], operation: { kind: 'terminateInstances', instances: names.split(' ') }, target: at, minCapacityRatio });
      expect(result).toMatchObject(verdict);
    });

    it.each([-0.1, 0.5, 1, Number.NaN])('refuses ratio %d', (minCapacityRatio) => {
      expect(() => checkGuard({ guards, cluster: [four], operation: { kind: 'disable', serverGroups: [] }, target: at, minCapacityRatio })).toThrow(RangeError);
    });
  });
});
