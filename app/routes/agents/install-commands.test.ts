import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseAgentArgs } from '../../../agents/args.ts';
import {
  accountTakeover,
  AGENT_IMAGE,
  checksumCheck,
  DOWNLOAD_IMAGE,
  freeAccountName,
  inputErrors,
  installCommands,
  needsAllowHttp,
  takenAccountNames,
  type InstallInput,
  type KnownAccount,
} from './install-commands.ts';
import { shellWords } from './shell.ts';

const TOKEN = 'gni_AbC-12_xyz789_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const SHA = createHash('sha256').update('the agent').digest('hex');
const input = (over: Partial<InstallInput> = {}): InstallInput => ({
  origin: 'https://gennaker.example.com',
  token: TOKEN,
  name: '',
  takenAccounts: [],
  account: '',
  agentSha256: SHA,
  ...over,
});

/** Runs `script` with /bin/sh in `cwd`; resolves to its exit code. */
async function sh(script: string, cwd: string): Promise<number> {
  try {
    await promisify(execFile)('/bin/sh', ['-c', script], { cwd });
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}
const command = (target: string, over: Partial<InstallInput> = {}) => installCommands(input(over)).find((c) => c.target === target)!;

/** What the agent would run with, given the words after the program name and an environment. */
function agentOptions(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseAgentArgs(argv, env, '/home/op');
  if (parsed.command !== 'run') throw new Error(`not a run: ${parsed.command}`);
  return parsed.options;
}

describe('freeAccountName', () => {
  it.each([
    [[], 'local'],
    [['prod'], 'local'],
    [['local'], 'local-2'],
    [['local', 'local-2', 'local-3'], 'local-4'],
  ])('with %j taken suggests %s', (taken, name) => expect(freeAccountName('local', taken)).toBe(name));
});

const accounts: KnownAccount[] = [
  { name: 'prod', provider: 'local', agent: { id: 'a1', name: 'box-1', status: 'online' } },
  { name: 'staging', provider: 'local', agent: { id: 'a2', name: 'box-2', status: 'offline' } },
  { name: 'old', provider: 'local', agent: { id: 'a3', name: 'box-3', status: 'revoked' } },
  { name: 'orphan', provider: 'local', agent: null },
];

describe('takenAccountNames', () => {
  it('avoids the accounts of agents online or offline, not those of revoked agents or of none', () => {
    expect(takenAccountNames(accounts)).toEqual(['prod', 'staging']);
  });
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
  it('refuses an account an online agent serves, as registration would, among all accounts', () => {
    expect(inputErrors({ name: '', account: 'prod' }, accounts)).toEqual({
      account: 'agent \u201cbox-1\u201d serves prod and is online: choose another name, or stop or revoke that agent to replace it',
    });
    expect(inputErrors({ name: '', account: ' prod ' }, accounts).account).toContain('box-1');
    for (const free of ['staging', 'old', 'orphan', 'new', '']) expect(inputErrors({ name: '', account: free }, accounts), free).toEqual({});
  });
});

describe('accountTakeover', () => {
  it('says the account moves when its agent is offline or revoked: how an agent is replaced', () => {
    expect(accountTakeover('staging', accounts)).toBe('Moves staging from the offline agent \u201cbox-2\u201d to the new one: that is how an agent is replaced.');
    expect(accountTakeover('old', accounts)).toContain('revoked agent \u201cbox-3\u201d');
    for (const none of ['prod', 'orphan', 'new', '']) expect(accountTakeover(none, accounts), none).toBeUndefined();
  });
});

describe('checksumCheck', () => {
  it('passes for the file it was made for and fails, stopping an && chain, for any other', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gennaker-checksum-'));
    try {
      await writeFile(path.join(dir, 'gennaker-agent.mjs'), 'the agent');
      expect(await sh(`${checksumCheck(SHA, 'gennaker-agent.mjs')} && touch ran`, dir)).toBe(0);
      expect(await sh('test -e ran', dir)).toBe(0);
      await writeFile(path.join(dir, 'gennaker-agent.mjs'), 'another agent');
      expect(await sh(`${checksumCheck(SHA, 'gennaker-agent.mjs')} && touch ran-again`, dir)).not.toBe(0);
      expect(await sh('test -e ran-again', dir)).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The three steps of the local install: the download, its check and (if both worked) the agent's start. */
function localSteps(line: string) {
  const words = shellWords(line);
  const and = words.indexOf('&&');
  const and2 = words.indexOf('&&', and + 1);
  expect(and, 'download && check && run').toBeGreaterThan(0);
  expect(and2, 'download && check && run').toBeGreaterThan(and);
  return { download: words.slice(0, and), check: words.slice(and + 1, and2), run: words.slice(and2 + 1) };
}

describe('the local command', () => {
  it('downloads the agent from this edge, checks its SHA-256, then starts it with this server, token, state file and a free local account', () => {
    const local = command('local', { takenAccounts: ['local'] });
    const { download, check, run } = localSteps(local.command);
    // -f: an HTTP error fails the download (and so the &&) instead of saving the error page.
    expect(download).toEqual(['curl', '-fsSLo', 'gennaker-agent.mjs', 'https://gennaker.example.com/downloads/gennaker-agent.mjs']);
    expect(check).toEqual(['echo', `${SHA}  gennaker-agent.mjs`, '|', 'sha256sum', '-c', '-']);
    expect(local.command.split('\n').slice(0, 3)).toEqual([
      'curl -fsSLo gennaker-agent.mjs https://gennaker.example.com/downloads/gennaker-agent.mjs &&',
      `echo '${SHA}  gennaker-agent.mjs' | sha256sum -c - &&`,
      'node gennaker-agent.mjs \\',
    ]);
    const [node, file, ...argv] = run;
    expect([node, file]).toEqual(['node', 'gennaker-agent.mjs']);
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
    expect(local.needs).toContain('Node.js 22 or later');
    expect(local.needs).toContain('sha256sum');
    expect(local.limitation).toBeUndefined();
  });

  it('downloads from the edge the console is on', () => {
    const { download } = localSteps(command('local', { origin: 'http://localhost:8874' }).command);
    expect(download.at(-1)).toBe('http://localhost:8874/downloads/gennaker-agent.mjs');
  });

  it('runs the same options from a checkout, with the chosen name and account', () => {
    const local = command('local', { name: 'build-box', account: 'edge-ci' });
    const [npm, run, script, dashes, ...argv] = shellWords(local.alternative!.command);
    expect([npm, run, script, dashes]).toEqual(['npm', 'run', 'agent', '--']);
    expect(agentOptions(argv)).toMatchObject({ name: 'build-box', accounts: [{ name: 'edge-ci', provider: 'local' }] });
    expect(localSteps(local.command).run.slice(2)).toEqual(argv);
  });

  it('adds --allow-http only for plain http to another machine, which the agent otherwise refuses', () => {
    for (const [origin, allow] of [
      ['http://localhost:8787', false],
      ['http://127.0.0.1:8787', false],
      ['https://gennaker.example.com', false],
      ['http://gennaker.internal:8787', true],
    ] as const) {
      expect(needsAllowHttp(origin), origin).toBe(allow);
      const argv = localSteps(command('local', { origin }).command).run.slice(2);
      expect(argv.includes('--allow-http'), origin).toBe(allow);
      expect(agentOptions(argv).server).toBe(origin);
    }
  });
});

interface Container {
  name: string;
  image: string;
  command: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

describe('the Kubernetes command', () => {
  const k8s = command('kubernetes', { takenAccounts: ['kubernetes'] });
  const lines = k8s.command.split('\n');
  const manifest = lines.slice(2, -1).join('\n');
  const [claim, deployment] = parseAllDocuments(manifest).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
  const pod = deployment.spec.template.spec;
  const [download] = pod.initContainers as Container[];
  const [agent] = pod.containers as Container[];
  const mountOf = (c: Container, volume: string) => c.volumeMounts.find((m) => m.name === volume);

  it('keeps the token in a Secret the Deployment reads, not in the manifest', () => {
    expect(shellWords(lines[0]!)).toEqual(['kubectl', 'create', 'secret', 'generic', 'gennaker-agent-install', `--from-literal=token=${TOKEN}`]);
    expect(lines[1]).toBe("kubectl apply -f - <<'EOF'");
    expect(lines.at(-1)).toBe('EOF');
    expect(manifest).not.toContain(TOKEN);
    expect(agent!.env!.find((e) => e.name === 'GENNAKER_INSTALL_TOKEN')).toEqual({
      name: 'GENNAKER_INSTALL_TOKEN',
      valueFrom: { secretKeyRef: { name: 'gennaker-agent-install', key: 'token' } },
    });
  });

  it('downloads the agent from this edge into a volume the agent container runs it from, checking its SHA-256', () => {
    expect(download).toMatchObject({ image: DOWNLOAD_IMAGE, command: ['sh', '-c', expect.any(String)] });
    expect(shellWords(download!.command[2]!)).toEqual([
      'curl', '-fsSLo', '/agent/gennaker-agent.mjs', 'https://gennaker.example.com/downloads/gennaker-agent.mjs',
      '&&', 'echo', `${SHA}  /agent/gennaker-agent.mjs`, '|', 'sha256sum', '-c', '-',
    ]);
    expect(agent).toMatchObject({ image: AGENT_IMAGE, command: ['node', '/agent/gennaker-agent.mjs'] });
    expect(pod.volumes).toContainEqual({ name: 'agent', emptyDir: {} });
    expect(mountOf(download!, 'agent')?.mountPath).toBe('/agent');
    expect(mountOf(agent!, 'agent')).toEqual({ name: 'agent', mountPath: '/agent', readOnly: true });
  });

  it('keeps the state on a claimed volume, one pod at a time', () => {
    expect(claim).toMatchObject({ kind: 'PersistentVolumeClaim', metadata: { name: 'gennaker-agent-state' } });
    expect(deployment).toMatchObject({ kind: 'Deployment', spec: { replicas: 1, strategy: { type: 'Recreate' } } });
    expect(pod.volumes).toContainEqual({ name: 'state', persistentVolumeClaim: { claimName: 'gennaker-agent-state' } });
    expect(mountOf(agent!, 'state')?.mountPath).toBe('/var/lib/gennaker');
  });

  it('gives the agent options it parses: server, name and state from the environment, the account as a flag', () => {
    const env: Record<string, string> = { GENNAKER_INSTALL_TOKEN: TOKEN };
    for (const e of agent!.env!) if (e.value !== undefined) env[e.name] = e.value;
    const options = agentOptions(agent!.args!, env);
    expect(options).toMatchObject({
      server: 'https://gennaker.example.com',
      installToken: TOKEN,
      name: 'gennaker-agent',
      stateFile: '/var/lib/gennaker/agent.json',
      accounts: [{ name: 'kubernetes-2', provider: 'kubernetes', locations: ['default'] }],
    });
    expect(options.stateFile.startsWith(`${mountOf(agent!, 'state')!.mountPath}/`)).toBe(true);
  });

  it('says plainly that it cannot deploy yet', () => {
    expect(k8s.limitation).toContain('only the local provider');
    expect(k8s.limitation).toContain('deploys to kubernetes-2 fail');
  });
});

describe('the Kubernetes download script', () => {
  it('fails the init container when the file is not the agent the manifest was made for', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gennaker-init-'));
    try {
      // The init container's script with the download made from a file: curl can fetch file:// URLs.
      const script = (sha: string) => {
        const { command: k8s } = command('kubernetes', { agentSha256: sha, origin: 'https://gennaker.example.com' });
        const init = parseAllDocuments(k8s.split('\n').slice(2, -1).join('\n'))[1]!.toJS().spec.template.spec.initContainers[0];
        return (init.command[2] as string).replaceAll('/agent/', `${dir}/`).replace('https://gennaker.example.com/downloads/', `file://${dir}/served/`);
      };
      await mkdir(path.join(dir, 'served'));
      await writeFile(path.join(dir, 'served', 'gennaker-agent.mjs'), 'the agent');
      expect(await sh(script(SHA), dir)).toBe(0);
      expect(await sh(script(createHash('sha256').update('an older agent').digest('hex')), dir)).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
      container: { type: 'MESOS', docker: { image: AGENT_IMAGE }, volumes: [{ containerPath: 'gennaker', mode: 'RW', persistent: { size: 64 } }] },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    });
    // The state file sits on the volume, which Mesos mounts in the task's working directory.
    expect(definition.env.GENNAKER_AGENT_STATE.split('/')[0]).toBe(definition.container.volumes[0].containerPath);
  });

  it('fetches the agent from this edge into the sandbox and runs it from there', () => {
    const definition = app(dcos.command);
    expect(definition.fetch).toEqual([{ uri: 'https://gennaker.example.com/downloads/gennaker-agent.mjs' }]);
    const [node, file] = shellWords(definition.cmd);
    // Mesos saves a fetched URI under its last path segment, in the working directory.
    expect([node, file]).toEqual(['node', new URL(definition.fetch[0].uri).pathname.split('/').at(-1)]);
  });

  it('gives the agent options it parses', () => {
    const definition = app(dcos.command);
    const argv = shellWords(definition.cmd).slice(2);
    const options = agentOptions(argv, definition.env);
    expect(options).toMatchObject({
      server: 'https://gennaker.example.com',
      installToken: TOKEN,
      name: 'mesos-agent',
      accounts: [{ name: 'dcos', provider: 'dcos', locations: ['default'] }],
    });
    expect(options.stateFile.endsWith('/gennaker/agent.json')).toBe(true);
  });

  it('says plainly that it cannot deploy yet, and that its download is not checked', () => {
    expect(dcos.limitation).toContain('only the local provider');
    expect(dcos.limitation).toContain('deploys to dcos fail');
    expect(dcos.note).toContain('checks no checksum');
  });
});
