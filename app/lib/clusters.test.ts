import { describe, expect, it } from 'vitest';
import { actionTarget, balancersOf, clusterOfGroup, capacityProblem, currentGroup, describeAction, findGroup, guardOf, listText, sequenceLabel, versionOf, visibleGroups, type ApplicationClusters, type ServerGroupView } from './clusters.ts';

function group(name: string, opts: Partial<ServerGroupView> & { up?: number } = {}): ServerGroupView {
  const up = opts.up ?? 2;
  const instances = Array.from({ length: up }, (_, i) => ({ name: `${name}-${i}`, health: 'Up' as const, address: null, launchedAt: null }));
  return {
    id: `id-${name}`,
    name,
    sequence: Number(/v(\d+)$/.exec(name)?.[1] ?? 0),
    disabled: false,
    capacity: { min: up, max: up, desired: up },
    artifact: { type: 'process', env: { VERSION: '1.0.0' } },
    loadBalancers: ['hello-web'],
    createdAt: '2026-01-01T00:00:00Z',
    reportedAt: '2026-01-01T00:00:00Z',
    instanceCounts: { up, down: 0, starting: 0, outOfService: 0, draining: 0, unknown: 0, total: up },
    instances,
    ...opts,
  };
}

const v002 = group('hello-web-v002', { artifact: { version: '3.0.0' } });
const v001 = group('hello-web-v001', { artifact: { env: { VERSION: '2.0.0' } } });
const v000 = group('hello-web-v000', { disabled: true, up: 1 });
const scope = (g: ServerGroupView, siblings = [v002, v001, v000]) => ({ group: g, cluster: 'hello-web', location: 'local', siblings, provider: 'local' });

describe('versionOf', () => {
  it('prefers artifact.version, then the VERSION variable, then an image tag', () => {
    expect(versionOf({ version: '3.0.0', env: { VERSION: 'x' } })).toBe('3.0.0');
    expect(versionOf({ env: { VERSION: '2.0.0' } })).toBe('2.0.0');
    expect(versionOf({ image: 'registry:5000/hello:1.4.2' })).toBe('1.4.2');
    expect(versionOf({ image: 'registry:5000/hello' })).toBeNull();
    expect(versionOf(null)).toBeNull();
  });
});

describe('names', () => {
  it('labels the sequence with three digits and lists in words', () => {
    expect(sequenceLabel({ name: 'hello-web-v007', sequence: 7 })).toBe('v007');
    expect(sequenceLabel({ name: 'hello-web-v012', sequence: null })).toBe('v012');
    expect(listText(['a'])).toBe('a');
    expect(listText(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

describe('findGroup', () => {
  const data: ApplicationClusters = {
    accounts: [{ account: 'local', provider: 'local', clusters: [{ cluster: 'hello-web', stack: 'web', detail: '', locations: [{ location: 'local', serverGroups: [v002, v001, v000] }] }] }],
  };
  it('finds a group by id or, for links from executions, by name, with its place and siblings', () => {
    expect(findGroup(data, 'id-hello-web-v001')).toMatchObject({ group: v001, account: 'local', provider: 'local', location: 'local', siblings: [v002, v001, v000] });
    expect(findGroup(data, 'hello-web-v000')?.group).toBe(v000);
    expect(findGroup(data, 'nope')).toBeNull();
    expect(findGroup(data, null)).toBeNull();
  });
  it('takes the newest enabled group as current', () => {
    expect(currentGroup([v000, v001])).toBe(v001);
    expect(currentGroup([v000])).toBeUndefined();
  });
});

describe('guardOf and balancersOf', () => {
  it('matches * anywhere and an empty stack or detail only to an empty one; skips disabled guards', () => {
    const where = { account: 'local', location: 'local', stack: 'web', detail: '' };
    expect(guardOf([{ account: 'local', location: '*', stack: 'web', detail: '', enabled: true }], where)).not.toBeNull();
    expect(guardOf([{ account: '*', location: '*', stack: '', detail: '', enabled: true }], where)).toBeNull();
    expect(guardOf([{ account: '*', location: '*', stack: '*', detail: '*', enabled: false }], where)).toBeNull();
  });
  it('keeps load balancers of the place that serve the cluster or are named for it', () => {
    const lb = (name: string, serverGroups: string[], location = 'local') => ({ account: 'local', location, name, address: null, serverGroups, reportedAt: '' });
    const all = [lb('hello-web', []), lb('shared', ['hello-web-v001']), lb('other', ['other-v000']), lb('hello-web', [], 'eu')];
    expect(balancersOf(all, { account: 'local', location: 'local', cluster: 'hello-web', groups: ['hello-web-v001'] }).map((b) => b.name)).toEqual(['hello-web', 'shared']);
  });
});

describe('describeAction', () => {
  it('disable: the instances leave the load balancer and which groups keep serving', () => {
    expect(describeAction('disable', scope(v001)).message).toBe(
      'Disable hello-web-v001: its 2 instances leave the load balancer hello-web after in-flight requests finish. The cluster keeps hello-web-v002 serving. The instances keep running, so it can be enabled again.',
    );
    expect(describeAction('disable', scope(v002, [v002, v000])).message).toContain('No other server group of hello-web is enabled in local: the cluster stops serving there.');
  });
  it('destroy: says processes stop and that it cannot be undone', () => {
    const text = describeAction('destroy', scope(v000));
    expect(text).toMatchObject({ title: 'Destroy hello-web-v000?', confirmLabel: 'Destroy', danger: true });
    expect(text.message).toBe("Destroy hello-web-v000: its 1 instance's process is stopped and the server group is deleted; this cannot be undone.");
    expect(describeAction('destroy', { ...scope(v001), provider: 'kubernetes' }).message).toContain(
      'it leaves the load balancer hello-web after in-flight requests finish, then its 2 instances are terminated',
    );
  });
  it('rollback: names both groups with their versions', () => {
    const text = describeAction('rollback', scope(v000));
    expect(text.title).toBe('Roll back hello-web to hello-web-v000?');
    expect(text.message).toContain('Roll back hello-web to hello-web-v000 (version 1.0.0): it is resized to 2 instances, enabled');
    expect(text.message).toContain('then hello-web-v002 (version 3.0.0) is disabled');
  });
  it('resize: counts instances that start or stop', () => {
    expect(describeAction('resize', { ...scope(v001), capacity: { min: 1, max: 5, desired: 4 } }).message).toBe(
      'Resize hello-web-v001 from 2 to 4 instances (min 1, max 5). 2 new instances start and join the load balancer once healthy.',
    );
    const down = describeAction('resize', { ...scope(v001), capacity: { min: 0, max: 2, desired: 1 } });
    expect(down.message).toContain('1 instance stops after in-flight requests finish.');
    expect(down.danger).toBe(true);
  });
  it('enable: joins the load balancer alongside the enabled groups', () => {
    expect(describeAction('enable', scope(v000)).message).toBe(
      'Enable hello-web-v000: its 1 instance joins the load balancer hello-web once healthy and takes traffic alongside hello-web-v002 and hello-web-v001.',
    );
  });
});

describe('capacityProblem', () => {
  it('wants whole numbers with min ≤ desired ≤ max', () => {
    expect(capacityProblem({ min: 1, max: 3, desired: 2 })).toBeNull();
    expect(capacityProblem({ min: 3, max: 3, desired: 2 })?.field).toBe('min');
    expect(capacityProblem({ min: 0, max: 1, desired: 2 })?.field).toBe('max');
    expect(capacityProblem({ min: 0, max: 1, desired: 0.5 })?.field).toBe('desired');
    expect(capacityProblem({ min: 0, max: 1001, desired: 1 })?.field).toBe('max');
  });
});

describe('actions', () => {
  it('knows an action execution by its trigger and the cluster by the group name', () => {
    expect(actionTarget({ pipelineId: null, trigger: { action: 'rollback', serverGroup: 'hello-web-v000' } })).toBe('hello-web-v000');
    expect(actionTarget({ pipelineId: 'p1', trigger: { action: 'rollback', serverGroup: 'hello-web-v000' } })).toBeNull();
    expect(actionTarget({ pipelineId: null, trigger: { type: 'manual' } })).toBeNull();
    expect(clusterOfGroup('hello-web-v001')).toBe('hello-web');
    expect(clusterOfGroup('hello--canary-v1000')).toBe('hello--canary');
    expect(clusterOfGroup('hello')).toBe('hello');
  });
});

describe('visibleGroups', () => {
  const many = Array.from({ length: 30 }, (_, i) => group(`hello-web-v${String(29 - i).padStart(3, '0')}`, { disabled: i !== 0 && i !== 20 }));

  it('shows the newest up to the limit and counts the rest as hidden', () => {
    const { shown, hidden } = visibleGroups(many.filter((g) => g.name !== 'hello-web-v009'), 5, null);
    expect(shown.map((g) => g.name)).toEqual(['hello-web-v029', 'hello-web-v028', 'hello-web-v027', 'hello-web-v026', 'hello-web-v025']);
    expect(hidden).toBe(24);
  });

  it('keeps an older enabled group and the selected one in view', () => {
    const { shown, hidden } = visibleGroups(many, 3, 'id-hello-web-v002');
    expect(shown.map((g) => g.name)).toEqual(['hello-web-v029', 'hello-web-v028', 'hello-web-v027', 'hello-web-v009', 'hello-web-v002']);
    expect(hidden).toBe(25);
  });

  it('hides nothing under the limit', () => {
    expect(visibleGroups([v002, v001, v000], 12, null)).toEqual({ shown: [v002, v001, v000], hidden: 0 });
  });
});
