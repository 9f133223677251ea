import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameFromHost, normalizeServer, parseAccountSpec, parseAgentArgs, USAGE, UsageError } from './args.ts';

const HOME = '/home/ci';
const parse = (argv: string[], env: Record<string, string> = {}) => parseAgentArgs(argv, env, HOME);
const run = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parse(argv, env);
  if (parsed.command !== 'run') throw new Error(`expected run, got ${parsed.command}`);
  return parsed.options;
};

describe('parseAgentArgs', () => {
  it('reads every flag', () => {
    expect(
      run(['--server', 'https://cd.example.com/', '--token', 'gni_x', '--name', 'edge-1', '--state', '/var/lib/agent.json', '--account', 'prod:kubernetes:eu-west-1,us-east-1']),
    ).toEqual({
      server: 'https://cd.example.com',
      installToken: 'gni_x',
      name: 'edge-1',
      stateFile: '/var/lib/agent.json',
      accounts: [{ name: 'prod', provider: 'kubernetes', locations: ['eu-west-1', 'us-east-1'] }],
    });
  });

  it('leaves name and accounts unset when not given (registration picks the defaults), state in ~/.gennaker-agent.json', () => {
    expect(run([])).toEqual({
      server: undefined,
      installToken: undefined,
      name: undefined,
      stateFile: path.join(HOME, '.gennaker-agent.json'),
      accounts: undefined,
    });
  });

  it('falls back to GENNAKER_* variables, flags win over them', () => {
    const env = { GENNAKER_SERVER: 'https://a.example.com', GENNAKER_INSTALL_TOKEN: 'gni_env', GENNAKER_AGENT_NAME: 'from-env', GENNAKER_AGENT_STATE: 'rel/state.json' };
    expect(run([], env)).toMatchObject({ server: 'https://a.example.com', installToken: 'gni_env', name: 'from-env', stateFile: path.resolve('rel/state.json') });
    expect(run(['--server', 'https://b.example.com', '--name', 'flag'], env)).toMatchObject({ server: 'https://b.example.com', name: 'flag' });
  });

  it('reads --prometheus-url and --prometheus-sd-file, or their GENNAKER_* variables', () => {
    expect(run(['--prometheus-url', 'http://prom.monitoring:9090/prom/', '--prometheus-sd-file', 'sd/gennaker.json'])).toMatchObject({
      prometheusUrl: 'http://prom.monitoring:9090/prom',
      prometheusSdFile: path.resolve('sd/gennaker.json'),
    });
    expect(run([], { GENNAKER_PROMETHEUS_URL: 'https://prom.example.com', GENNAKER_PROMETHEUS_SD_FILE: '/etc/prometheus/sd/gennaker.json' })).toMatchObject({
      prometheusUrl: 'https://prom.example.com',
      prometheusSdFile: '/etc/prometheus/sd/gennaker.json',
    });
    expect(run([])).toMatchObject({ prometheusUrl: undefined, prometheusSdFile: undefined });
  });

  it('takes --prometheus-allow more than once (or GENNAKER_PROMETHEUS_ALLOW, comma-separated), normalised and without repeats', () => {
    expect(run(['--prometheus-allow', 'https://thanos.example.com/query/', '--prometheus-allow', 'http://PROM-2:9090', '--prometheus-allow', 'https://thanos.example.com/query']).prometheusAllow).toEqual([
      'https://thanos.example.com/query',
      'http://prom-2:9090',
    ]);
    expect(run([], { GENNAKER_PROMETHEUS_ALLOW: 'http://a:9090, http://b:9090/x/' }).prometheusAllow).toEqual(['http://a:9090', 'http://b:9090/x']);
    expect(run(['--prometheus-allow', 'http://c:9090'], { GENNAKER_PROMETHEUS_ALLOW: 'http://a:9090' }).prometheusAllow).toEqual(['http://c:9090']);
    expect(run([]).prometheusAllow).toBeUndefined();
    expect(USAGE).toMatch(/--prometheus-allow URL\n.*repeatable/);
  });

  it('takes --account more than once', () => {
    expect(run(['--account', 'local', '--account', 'stage:dcos:dc1']).accounts).toEqual([
      { name: 'local', provider: 'local', locations: ['local'] },
      { name: 'stage', provider: 'dcos', locations: ['dc1'] },
    ]);
  });

  it('answers --help and --version before checking anything else', () => {
    expect(parse(['--help', '--name', 'bad name!'])).toEqual({ command: 'help' });
    expect(parse(['-v'])).toEqual({ command: 'version' });
  });

  it.each([
    [['--sever', 'x'], /Unknown option '--sever'/],
    [['stray'], /positional/i],
    [['--server'], /argument missing/i],
    [['--name', 'has space'], /--name "has space": letters, digits, _ \. - only/],
    [['--account', 'a', '--account', 'a:local:x'], /--account "a" is given twice/],
    [['--server', 'ftp://x'], /must be an http\(s\) URL/],
    [['--prometheus-url', 'prom:9090'], /--prometheus-url "prom:9090" must be an http\(s\) URL/],
    [['--prometheus-url', 'not a url'], /--prometheus-url "not a url" is not a URL/],
    [['--prometheus-url', 'http://u:p@prom:9090'], /must not have a query, fragment or credentials/],
    [['--prometheus-allow', 'http://u:p@prom:9090'], /--prometheus-allow "http:\/\/u:p@prom:9090" must not have a query, fragment or credentials/],
    [['--prometheus-allow', 'file:///etc/passwd'], /--prometheus-allow "file:\/\/\/etc\/passwd" must be an http\(s\) URL/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });
});

describe('parseAccountSpec', () => {
  it.each([
    ['local', { name: 'local', provider: 'local', locations: ['local'] }],
    ['k8s:kubernetes', { name: 'k8s', provider: 'kubernetes', locations: ['local'] }],
    ['prod:aws:us-east-1, eu-west-1', { name: 'prod', provider: 'aws', locations: ['us-east-1', 'eu-west-1'] }],
  ])('%s', (spec, account) => {
    expect(parseAccountSpec(spec)).toEqual(account);
  });

  it.each([
    ['Prod', /--account "Prod": name lowercase letters, digits/],
    ['x:openstack', /provider must be one of local, kubernetes, dcos, aws, gce, azure/],
    ['x:local:', /location/],
    ['x:local:a:b', /expected NAME\[:PROVIDER\[:LOCATION,…\]\]/],
    ['', /name/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseAccountSpec(spec)).toThrow(message);
  });
});

describe('normalizeServer', () => {
  it.each([
    ['https://cd.example.com', 'https://cd.example.com'],
    ['https://cd.example.com/', 'https://cd.example.com'],
    ['https://example.com/gennaker//', 'https://example.com/gennaker'],
    ['http://localhost:8787', 'http://localhost:8787'],
    ['http://127.0.0.1:8787/', 'http://127.0.0.1:8787'],
    ['http://[::1]:8787', 'http://[::1]:8787'],
  ])('%s → %s', (raw, normal) => {
    expect(normalizeServer(raw)).toBe(normal);
  });

  it('refuses plain http to another machine unless allowed, since the credential travels with every call', () => {
    expect(() => normalizeServer('http://cd.example.com')).toThrow(/plain http to another machine; use https, or pass --allow-http/);
    expect(normalizeServer('http://cd.example.com', true)).toBe('http://cd.example.com');
  });

  it.each(['cd.example.com', 'https://cd.example.com/?x=1', 'https://user:pw@cd.example.com'])('refuses %s', (raw) => {
    expect(() => normalizeServer(raw)).toThrow(UsageError);
  });
});

describe('nameFromHost', () => {
  it.each([
    ['build-01.example.com', 'build-01.example.com'],
    ['My Laptop (2)', 'My-Laptop-2'],
    ['___', '___'],
    ['!!!', 'agent'],
    ['x'.repeat(300), 'x'.repeat(100)],
  ])('%s → %s', (host, name) => {
    expect(nameFromHost(host)).toBe(name);
  });
});
