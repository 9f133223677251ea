import { describe, expect, it } from 'vitest';
import { parseAgentArgs } from '../../../agents/args.ts';
import { freeAccountName, inputErrors, installCommands, needsAllowHttp, shellWord, shellWords, type InstallInput } from './install-commands.ts';

const TOKEN = 'gni_AbC-12_xyz789_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const input = (over: Partial<InstallInput> = {}): InstallInput => ({
  origin: 'https://gennaker.example.com',
  token: TOKEN,
  name: '',
  takenAccounts: [],
  account: '',
  ...over,
});
const command = (target: string, over: Partial<InstallInput> = {}) => installCommands(input(over)).find((c) => c.target === target)!;

/** What the agent would run with, given the words after the program name and an environment. */
function agentOptions(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseAgentArgs(argv, env, '/home/op');
  if (parsed.command !== 'run') throw new Error(`not a run: ${parsed.command}`);
  return parsed.options;
}

describe('shellWord', () => {
  it.each([
    ['gni_AbC-12_xyz', 'gni_AbC-12_xyz'],
    ['https://ci.example.com:8443/gennaker', 'https://ci.example.com:8443/gennaker'],
    ['two words', `'two words'`],
    ["it's", `'it'\\''s'`],
    ['$HOME', `'$HOME'`],
    ['~root', `'~root'`],
  ])('%s → %s', (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
    expect(shellWords(quoted)).toEqual([word]);
  });
});

describe('shellWords', () => {
  it.each([
    ['npx gennaker-agent --server x', ['npx', 'gennaker-agent', '--server', 'x']],
    ["a 'b c' d\\ e", ['a', 'b c', 'd e']],
    ['a \\\n  b', ['a', 'b']],
    ["''", ['']],
  ])('%j', (line, words) => expect(shellWords(line)).toEqual(words));
});

describe('freeAccountName', () => {
  it.each([
    [[], 'local'],
    [['prod'], 'local'],
    [['local'], 'local-2'],
    [['local', 'local-2', 'local-3'], 'local-4'],
  ])('with %j taken suggests %s', (taken, name) => expect(freeAccountName('local', taken)).toBe(name));
});

describe('inputErrors', () => {
  it('accepts what the agent accepts at registration, and empty fields (the defaults)', () => {
    expect(inputErrors({ name: '', account: '' })).toEqual({});
    expect(inputErrors({ name: 'build-01.example.com', account: 'prod-k8s' })).toEqual({});
  });
  it('names the field the agent would refuse', () => {
    expect(inputErrors({ name: 'build box', account: '' })).toEqual({ name: 'letters, digits, _ . - only' });
    expect(inputErrors({ name: '', account: 'Prod' })).toEqual({ account: 'lowercase letters, digits, - and _' });
    // Both refusals come from the same schemas the agent checks its options with.
    expect(() => agentOptions(['--name', 'build box'])).toThrow('letters, digits, _ . - only');
    expect(() => agentOptions(['--account', 'Prod'])).toThrow('lowercase letters, digits, - and _');
  });
});

describe('the local command', () => {
  it('is what the agent parses into this server, token, state file and a free local account', () => {
    const local = command('local', { takenAccounts: ['local'] });
    const [npx, program, ...argv] = shellWords(local.command);
    expect([npx, program]).toEqual(['npx', 'gennaker-agent']);
    // The shell expands the unquoted ~ before the agent sees it.
    const options = agentOptions(argv.map((w) => w.replace(/^~\//, '/home/op/')));
    expect(options).toMatchObject({
      server: 'https://gennaker.example.com',
      installToken: TOKEN,
      name: undefined,
      stateFile: '/home/op/.gennaker-agent.json',
      accounts: [{ name: 'local-2', provider: 'local', locations: ['local'] }],
    });
    expect(local.account).toBe('local-2:local:local');
  });

  it('runs the same options from a checkout, with the chosen name and account', () => {
    const local = command('local', { name: 'build-box', account: 'edge-ci' });
    const [npm, run, script, dashes, ...argv] = shellWords(local.alternative!.command);
    expect([npm, run, script, dashes]).toEqual(['npm', 'run', 'agent', '--']);
    expect(agentOptions(argv)).toMatchObject({ name: 'build-box', accounts: [{ name: 'edge-ci', provider: 'local' }] });
  });

  it('adds --allow-http only for plain http to another machine, which the agent otherwise refuses', () => {
    for (const [origin, allow] of [
      ['http://localhost:8787', false],
      ['http://127.0.0.1:8787', false],
      ['https://gennaker.example.com', false],
      ['http://gennaker.internal:8787', true],
    ] as const) {
      expect(needsAllowHttp(origin), origin).toBe(allow);
      const argv = shellWords(command('local', { origin }).command).slice(2);
      expect(argv.includes('--allow-http'), origin).toBe(allow);
      expect(agentOptions(argv).server).toBe(origin);
    }
  });
});

describe('the Kubernetes command', () => {
  const k8s = command('kubernetes', { takenAccounts: ['kubernetes'] });
  const lines = k8s.command.split('\n');

  it('keeps the token in a Secret the Deployment reads, not in the manifest', () => {
    expect(shellWords(lines[0]!)).toEqual(['kubectl', 'create', 'secret', 'generic', 'gennaker-agent-install', `--from-literal=token=${TOKEN}`]);
    expect(lines[1]).toBe("kubectl apply -f - <<'EOF'");
    expect(lines.at(-1)).toBe('EOF');
    const manifest = lines.slice(2, -1).join('\n');
    expect(manifest).not.toContain(TOKEN);
    expect(manifest).toMatch(/name: GENNAKER_INSTALL_TOKEN\n\s+valueFrom:\n\s+secretKeyRef: \{ name: gennaker-agent-install, key: token \}/);
    expect(manifest).toContain('strategy: { type: Recreate }');
    expect(manifest).toContain('mountPath: /var/lib/gennaker');
  });

  it('gives the agent options it parses: server, name and state from the environment, the account as a flag', () => {
    const manifest = lines.slice(2, -1).join('\n');
    const argv = JSON.parse(/^\s+args: (.*)$/m.exec(manifest)![1]!) as string[];
    const env: Record<string, string> = { GENNAKER_INSTALL_TOKEN: TOKEN };
    for (const m of manifest.matchAll(/\{ name: (GENNAKER_\w+), value: (.+) \}/g)) env[m[1]!] = m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!;
    expect(agentOptions(argv, env)).toMatchObject({
      server: 'https://gennaker.example.com',
      installToken: TOKEN,
      name: 'gennaker-agent',
      stateFile: '/var/lib/gennaker/agent.json',
      accounts: [{ name: 'kubernetes-2', provider: 'kubernetes', locations: ['default'] }],
    });
  });
});

describe('the DC/OS command', () => {
  const dcos = command('dcos', { name: 'mesos-agent' });
  const app = (cmd: string) => JSON.parse(/<<'EOF'\n([\s\S]*?)\nEOF/.exec(cmd)![1]!);

  it('adds a Marathon app with a persistent volume for the state file, by CLI or by API', () => {
    expect(dcos.command.split('\n').at(-1)).toBe('dcos marathon app add gennaker-agent.json');
    expect(dcos.alternative!.command.split('\n').at(-1)).toMatch(/^curl -fsS -X POST "\$MARATHON_URL\/v2\/apps" .* --data-binary @gennaker-agent\.json$/);
    const definition = app(dcos.command);
    expect(app(dcos.alternative!.command)).toEqual(definition);
    expect(definition).toMatchObject({
      id: '/gennaker-agent',
      instances: 1,
      container: { type: 'MESOS', volumes: [{ containerPath: 'gennaker', mode: 'RW', persistent: { size: 64 } }] },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    });
    // The state file sits on the volume, which Mesos mounts in the task's working directory.
    expect(definition.env.GENNAKER_AGENT_STATE.split('/')[0]).toBe(definition.container.volumes[0].containerPath);
  });

  it('gives the agent options it parses', () => {
    const definition = app(dcos.command);
    const [npx, yes, program, ...argv] = shellWords(definition.cmd);
    expect([npx, yes, program]).toEqual(['npx', '--yes', 'gennaker-agent']);
    const options = agentOptions(argv, definition.env);
    expect(options).toMatchObject({
      server: 'https://gennaker.example.com',
      installToken: TOKEN,
      name: 'mesos-agent',
      accounts: [{ name: 'dcos', provider: 'dcos', locations: ['default'] }],
    });
    expect(options.stateFile.endsWith('/gennaker/agent.json')).toBe(true);
  });
});
