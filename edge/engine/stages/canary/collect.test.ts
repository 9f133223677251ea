import { describe, expect, it } from 'vitest';
import { collectRetryAt, isUserCollectError } from './collect.ts';

describe('isUserCollectError: the agent says the config is at fault', () => {
  it.each([
    { user: true, message: 'metric "errors": Prometheus at http://p:9090 refused query sum(rate(x[1m]): bad_data: 1:18: parse error: unclosed left parenthesis' },
    { user: true, message: 'metric "errors": Prometheus at http://p:9090 answered HTTP 400 with no JSON (bad request) for query up' },
    { user: true, message: 'metric "errors": the query does not mention ${scope}, so it cannot tell the control from the experiment' },
    { user: true, message: 'metric "errors" has a builtin query, but this canary reads its metrics from prometheus' },
    { user: true, message: 'the canary reads metrics from Prometheus, but the task names no URL and this agent has no --prometheus-url' },
    { user: true, message: 'this agent does not query Prometheus at http://other:9090: it queries only its --prometheus-url and the URLs its operator lists with --prometheus-allow' },
    { user: true, message: 'metric "cpu" (control x-v000): the window has 90000 steps of 1s; at most 86400 are allowed' },
    { user: false, message: 'metric "errors": Prometheus at http://p:9090 cannot be reached (connect ECONNREFUSED) for query up' },
    { user: false, message: 'metric "errors": Prometheus at http://p:9090 refused query up: timeout: query timed out in expression evaluation' },
    { user: false, message: 'metric "errors": Prometheus at http://p:9090 answered HTTP 503 with no JSON (busy) for query up' },
    { user: false, message: 'no agent completed it after 5 attempts' },
  ])('$user: $message', ({ user, message }) => {
    expect(isUserCollectError(message)).toBe(user);
  });
});

describe('collectRetryAt: backoff, at most 3 attempts, never past the next interval', () => {
  const NOW = 1_000_000;
  it.each([
    { rule: 'attempt 1 failed: retry after 10 s', attempt: 1, nextDue: null, at: NOW + 10_000 },
    { rule: 'attempt 2 failed: retry after 20 s', attempt: 2, nextDue: null, at: NOW + 20_000 },
    { rule: 'attempt 3 failed: give up', attempt: 3, nextDue: null, at: null },
    { rule: 'the retry would start when the next interval is due: give up', attempt: 1, nextDue: NOW + 10_000, at: null },
    { rule: 'the retry starts before the next interval is due', attempt: 1, nextDue: NOW + 10_001, at: NOW + 10_000 },
  ])('$rule', ({ attempt, nextDue, at }) => {
    expect(collectRetryAt(attempt, 'Prometheus cannot be reached', NOW, nextDue)).toBe(at);
  });

  it('a user error is not retried', () => {
    expect(collectRetryAt(1, 'Prometheus at http://p:9090 refused query up(: bad_data: parse error', NOW, null)).toBeNull();
  });
});
