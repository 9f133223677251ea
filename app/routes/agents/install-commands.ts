/**
 * The copy-paste commands that install an agent with a one-time token: on this machine, in
 * Kubernetes, on DC/OS. Pure, so what the console shows is tested against how the agent reads its
 * options (`agents/args.ts`: flags, or GENNAKER_* environment variables in containers).
 */
import { agentRegister } from '../../../contract/agents.ts';
import { accountName } from '../../../contract/names.ts';

export type InstallTarget = 'local' | 'kubernetes' | 'dcos';

export interface InstallInput {
  /** The edge's origin as the browser sees it, e.g. `https://gennaker.example.com`. */
  origin: string;
  /** The one-time install token, `gni_…`. */
  token: string;
  /** The agent's name; empty means the agent's own default (host name; a fixed name in containers). */
  name: string;
  /** Account names already served by an agent, so the suggested ones do not take them over. */
  takenAccounts: readonly string[];
  /** An account name chosen by the user for every target; empty means a free one per target. */
  account: string;
}

export interface InstallCommand {
  target: InstallTarget;
  label: string;
  /** The account spec the command registers, `NAME:PROVIDER:LOCATIONS`. */
  account: string;
  /** What to run, ready to paste into a shell. */
  command: string;
  /** An alternative way to run the same thing, when there is one. */
  alternative?: { label: string; command: string };
  /** One sentence on what the command needs or does. */
  note: string;
}

/** Container image the Kubernetes and DC/OS commands run the agent in (Node 22+ is required). */
export const AGENT_IMAGE = 'node:24-slim';
/** Agent name in containers, whose host names change with every pod or task. */
export const CONTAINER_AGENT_NAME = 'gennaker-agent';

const SAFE = /^[\w@%+=:,./~-]+$/;

/** A word for a POSIX shell: as is when it needs no quoting, else single-quoted. */
export function shellWord(word: string): string {
  return SAFE.test(word) && !word.startsWith('~') ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Splits a command line into words the way a POSIX shell does for what these commands use:
 * single quotes, backslash escapes and backslash-newline continuations. `~` is left as is.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      if (line[i + 1] !== '\n') word = (word ?? '') + (line[i + 1] ?? '');
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + ch;
  }
  if (word !== null) words.push(word);
  return words;
}

/** `base`, or `base-2`, `base-3`… whichever no agent serves yet. */
export function freeAccountName(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The agent refuses plain http to another machine unless told (`normalizeServer` in agents/args.ts). */
export function needsAllowHttp(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === 'http:' && !isLoopback(url.hostname);
}

/** Whether a container elsewhere can reach the origin at all: `localhost` is the container itself. */
export function reachableFromContainers(origin: string): boolean {
  return !isLoopback(new URL(origin).hostname);
}

const accountSpec = (input: InstallInput, provider: string, base: string, locations: string) =>
  `${input.account.trim() || freeAccountName(base, input.takenAccounts)}:${provider}:${locations}`;

function local(input: InstallInput): InstallCommand {
  const account = accountSpec(input, 'local', 'local', 'local');
  const options = [
    `--server ${shellWord(input.origin)}`,
    `--token ${shellWord(input.token)}`,
    ...(input.name.trim() ? [`--name ${shellWord(input.name.trim())}`] : []),
    // Unquoted, so the shell expands the home directory.
    '--state ~/.gennaker-agent.json',
    `--account ${shellWord(account)}`,
    ...(needsAllowHttp(input.origin) ? ['--allow-http'] : []),
  ];
  const lines = (head: string) => [head, ...options].join(' \\\n  ');
  return {
    target: 'local',
    label: 'Local',
    account,
    command: lines('npx gennaker-agent'),
    alternative: { label: 'From a checkout of Gennaker (Node.js 22+)', command: lines('npm run agent --') },
    note: 'Runs the agent on this machine with the local provider: server groups become processes here. Keep the state file: later starts need only --state.',
  };
}

function kubernetes(input: InstallInput): InstallCommand {
  const account = accountSpec(input, 'kubernetes', 'kubernetes', 'default');
  const name = input.name.trim() || CONTAINER_AGENT_NAME;
  const args = [...(needsAllowHttp(input.origin) ? ['--allow-http'] : []), '--account', account];
  const manifest = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: gennaker-agent-state
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gennaker-agent
  labels: { app.kubernetes.io/name: gennaker-agent }
spec:
  replicas: 1
  # One agent per state file: the old pod stops before the new one starts.
  strategy: { type: Recreate }
  selector:
    matchLabels: { app.kubernetes.io/name: gennaker-agent }
  template:
    metadata:
      labels: { app.kubernetes.io/name: gennaker-agent }
    spec:
      containers:
        - name: agent
          image: ${AGENT_IMAGE}
          command: ["npx", "--yes", "gennaker-agent"]
          args: ${JSON.stringify(args).replaceAll(',', ', ')}
          env:
            - { name: GENNAKER_SERVER, value: ${JSON.stringify(input.origin)} }
            - { name: GENNAKER_AGENT_NAME, value: ${JSON.stringify(name)} }
            - { name: GENNAKER_AGENT_STATE, value: /var/lib/gennaker/agent.json }
            - name: GENNAKER_INSTALL_TOKEN
              valueFrom:
                secretKeyRef: { name: gennaker-agent-install, key: token }
          volumeMounts:
            - { name: state, mountPath: /var/lib/gennaker }
      volumes:
        - name: state
          persistentVolumeClaim: { claimName: gennaker-agent-state }`;
  return {
    target: 'kubernetes',
    label: 'Kubernetes',
    account,
    command: `kubectl create secret generic gennaker-agent-install --from-literal=token=${shellWord(input.token)}
kubectl apply -f - <<'EOF'
${manifest}
EOF`,
    note: 'Creates a Secret with the install token and a one-replica Deployment whose state (the agent\u2019s own credential) lives on a volume, so a restarted pod does not need a new token. Uses the current kubectl context and namespace.',
  };
}

function dcos(input: InstallInput): InstallCommand {
  const account = accountSpec(input, 'dcos', 'dcos', 'default');
  const name = input.name.trim() || CONTAINER_AGENT_NAME;
  const app = {
    id: '/gennaker-agent',
    instances: 1,
    cpus: 0.25,
    mem: 256,
    cmd: ['npx --yes gennaker-agent', ...(needsAllowHttp(input.origin) ? ['--allow-http'] : []), '--account', shellWord(account)].join(' '),
    container: {
      type: 'MESOS',
      docker: { image: AGENT_IMAGE },
      // A local persistent volume keeps the state file (and so the agent's identity) across restarts.
      volumes: [{ containerPath: 'gennaker', mode: 'RW', persistent: { type: 'root', size: 64 } }],
    },
    env: {
      GENNAKER_SERVER: input.origin,
      GENNAKER_AGENT_NAME: name,
      GENNAKER_AGENT_STATE: 'gennaker/agent.json',
      GENNAKER_INSTALL_TOKEN: input.token,
    },
    // What Marathon requires of an app with a local persistent volume.
    upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    unreachableStrategy: 'disabled',
  };
  const file = `cat > gennaker-agent.json <<'EOF'
${JSON.stringify(app, null, 2)}
EOF`;
  return {
    target: 'dcos',
    label: 'DC/OS',
    account,
    command: `${file}
dcos marathon app add gennaker-agent.json`,
    alternative: {
      label: 'Without the dcos CLI, through Marathon\u2019s API',
      command: `${file}
curl -fsS -X POST "$MARATHON_URL/v2/apps" -H 'Content-Type: application/json' --data-binary @gennaker-agent.json`,
    },
    note: 'Adds a one-instance Marathon app with a local persistent volume for the agent\u2019s state. The token in its environment is useless once the agent has registered.',
  };
}

/**
 * What is wrong with the name or account typed into the dialog, as the agent would say it at
 * registration; the commands are shown only for valid input.
 */
export function inputErrors(input: Pick<InstallInput, 'name' | 'account'>): { name?: string; account?: string } {
  const errors: { name?: string; account?: string } = {};
  const name = input.name.trim();
  const account = input.account.trim();
  const nameCheck = agentRegister.shape.name.safeParse(name);
  if (name && !nameCheck.success) errors.name = nameCheck.error.issues[0]?.message ?? 'not a valid agent name';
  const accountCheck = accountName.safeParse(account);
  if (account && !accountCheck.success) errors.account = accountCheck.error.issues[0]?.message ?? 'not a valid account name';
  return errors;
}

/** The three install commands for one install token, in the order the console shows them. */
export function installCommands(input: InstallInput): InstallCommand[] {
  return [local(input), kubernetes(input), dcos(input)];
}
