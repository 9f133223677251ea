import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allowed-methods.ts';

const routes = [
  { method: 'ALL', path: '/api/v1/*' },
  { method: 'GET', path: '/api/v1/pipelines/:id' },
  { method: 'PUT', path: '/api/v1/pipelines/:id' },
  { method: 'POST', path: '/api/v1/pipelines/:id/versions/:version/restore' },
  { method: 'GET', path: '/api/v1/health' },
];

describe('allowedMethods', () => {
  it('lists the methods of every route matching the path, with HEAD for GET', () => {
    expect(allowedMethods(routes, '/api/v1/pipelines/abc')).toEqual(['GET', 'HEAD', 'PUT']);
    expect(allowedMethods(routes, '/api/v1/pipelines/abc/versions/3/restore')).toEqual(['POST']);
  });

  it('ignores middleware and matches whole segments only', () => {
    expect(allowedMethods(routes, '/api/v1/nope')).toEqual([]);
    expect(allowedMethods(routes, '/api/v1/pipelines/a/b')).toEqual([]);
    expect(allowedMethods(routes, '/api/v1/healthz')).toEqual([]);
    expect(allowedMethods(routes, '/api/v1/health/')).toEqual(['GET', 'HEAD']);
  });
});
