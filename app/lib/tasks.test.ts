import { describe, expect, it } from 'vitest';
import { deployedServerGroups, taskBadge, taskError, taskServerGroup, type AgentTask } from './tasks.ts';

const task = (over: Partial<AgentTask> = {}): AgentTask => ({
  id: 't1',
  operation: 'disableServerGroup',
  account: 'local',
  status: 'SUCCEEDED',
  attempt: 1,
  payload: { serverGroupName: 'hello-web-v001' },
  result: null,
  logs: [],
  createdAt: '',
  updatedAt: '',
  ...over,
});

describe('tasks', () => {
  it('shows task statuses in the colours of execution statuses', () => {
    expect(taskBadge('LEASED')).toEqual({ status: 'RUNNING', label: 'Running on agent' });
    expect(taskBadge('FAILED')).toEqual({ status: 'TERMINAL', label: 'Failed' });
    expect(taskBadge('LOST')).toEqual({ status: 'NOT_STARTED', label: 'LOST' });
  });
  it('reads the server group from the payload and the error from the result', () => {
    expect(taskServerGroup(task())).toBe('hello-web-v001');
    expect(taskServerGroup(task({ payload: {} }))).toBeNull();
    expect(taskError(task({ result: { details: { error: 'port in use' } } }))).toBe('port in use');
    expect(taskError(task())).toBeNull();
  });
  it('lists deployed server groups from outputs, ignoring junk', () => {
    expect(deployedServerGroups({ deployedServerGroups: ['hello-web-v001', '', 3] })).toEqual(['hello-web-v001']);
    expect(deployedServerGroups({})).toEqual([]);
  });
});
