/**
 * The copy-paste commands that install an agent with a one-time token: on this machine, in
 * Kubernetes, on DC/OS. Each downloads the agent, one file, from the edge it will talk to (no npm
 * package is published), so the agent's version is always the edge's; the local and Kubernetes
 * commands check the download against the checksum the edge serves beside it. Pure, so what the
 * console shows is tested against how the agent reads its options (`agents/args.ts`: flags, or
 * GENNAKER_* environment variables in containers).
 */
import type { z } from 'zod';
import { agentRegister } from '../../../contract/agents.ts';
import { accountName } from '../../../contract/names.ts';
import type { accountOwner } from '../../../edge/routes/agents.ts';
import { shellWord } from './shell.ts';

/** An account as `GET /api/v1/agents/accounts` lists it: its name and the agent serving it. */
export type KnownAccount = z.infer<typeof accountOwner>;

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
  /** SHA-256 of the agent the edge serves, hex: the commands check the download against it. */
  agentSha256: string;
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
  /** One sentence on what the command does. */
  note: string;
  /** What the machine or cluster needs for the command to work. */
  needs: string;
  /** What will not work yet, said plainly; none when the agent can do all the target asks. */
  limitation?: string;
}

/** Container image the Kubernetes and DC/OS commands run the agent in (Node 22+ is required). */
export const AGENT_IMAGE = 'node:24-slim';
/** Image of the Kubernetes init container that downloads the agent. */
export const DOWNLOAD_IMAGE = 'curlimages/curl';
/** Agent name in containers, whose host names change with every pod or task. */
export const CONTAINER_AGENT_NAME = 'gennaker-agent';
/**
 * Where the edge serves the agent bundle: `npm run build` copies it among the console's static
 * assets (`scripts/build-agent.mjs`, whose test checks the two paths agree).
 */
export const AGENT_DOWNLOAD_PATH = '/downloads/gennaker-agent.mjs';
/** Where the edge serves the agent's checksum, `<hex>  gennaker-agent.mjs` (written by the same script). */
export const AGENT_CHECKSUM_PATH = `${AGENT_DOWNLOAD_PATH}.sha256`;
/** The file the commands save the agent as. */
export const AGENT_FILE = 'gennaker-agent.mjs';

/** The agent's download address on the edge at `origin`. */
export function agentDownloadUrl(origin: string): string {
  return `${origin.replace(/\/+$/, '')}${AGENT_DOWNLOAD_PATH}`;
}

/** Only the local provider is built; a Kubernetes or DC/OS agent registers but cannot deploy yet. */
const providerLater = (provider: string, account: string) =>
  `The agent ships only the local provider today; the ${provider} provider comes later. This agent registers and shows online, but deploys to ${account} fail, saying the provider is not available.`;

/**
 * The `sha256sum -c -` check of a downloaded `file`, as a shell pipeline: it fails (and so stops
 * the `&&` chain) when the file is not the agent this page was made for.
 */
export function checksumCheck(sha256: string, file: string): string {
  return `echo ${shellWord(`${sha256}  ${file}`)} | sha256sum -c -`;
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
const nameOf = (spec: string) => spec.split(':')[0]!;

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
  // A line ending in && goes on to the next, so the agent starts only if the download worked and
  // is the agent this page was made for.
  const download = `curl -fsSLo ${AGENT_FILE} ${shellWord(agentDownloadUrl(input.origin))} &&`;
  const check = `${checksumCheck(input.agentSha256, AGENT_FILE)} &&`;
  return {
    target: 'local',
    label: 'Local',
    account,
    command: `${download}\n${check}\n${lines(`node ${AGENT_FILE}`)}`,
    alternative: { label: 'Or from a checkout of Gennaker, after npm install', command: lines('npm run agent --') },
    note: 'Downloads the agent (one file, no dependencies) from this Gennaker, checks its SHA-256, and runs it with the local provider: server groups become processes on this machine. Keep the state file (the agent\u2019s own credential): later starts need no token or options. After Gennaker is upgraded, download the agent again with the command this page then shows (the checksum changes with the agent).',
    needs: 'Node.js 22 or later, curl and sha256sum (GNU coreutils or BusyBox).',
  };
}

function kubernetes(input: InstallInput): InstallCommand {
  const account = accountSpec(input, 'kubernetes', 'kubernetes', 'default');
  const name = input.name.trim() || CONTAINER_AGENT_NAME;
  const args = [...(needsAllowHttp(input.origin) ? ['--allow-http'] : []), '--account', account];
  const flow = (words: string[]) => JSON.stringify(words).replaceAll('","', '", "');
  const file = `/agent/${AGENT_FILE}`;
  // BusyBox in the curl image has sha256sum; a failed check fails the init container, so the pod never runs it.
  const download = `curl -fsSLo ${file} ${shellWord(agentDownloadUrl(input.origin))} && ${checksumCheck(input.agentSha256, file)}`;
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
      # The agent is one file that Gennaker serves, fetched at every start and checked against the
      # SHA-256 of the agent this manifest was made for: after an upgrade, apply the new manifest.
      initContainers:
        - name: download
          image: ${DOWNLOAD_IMAGE}
          command: ${flow(['sh', '-c', download])}
          volumeMounts:
            - { name: agent, mountPath: /agent }
      containers:
        - name: agent
          image: ${AGENT_IMAGE}
          command: ${flow(['node', `/agent/${AGENT_FILE}`])}
          args: ${flow(args)}
          env:
            - { name: GENNAKER_SERVER, value: ${JSON.stringify(input.origin)} }
            - { name: GENNAKER_AGENT_NAME, value: ${JSON.stringify(name)} }
            - { name: GENNAKER_AGENT_STATE, value: /var/lib/gennaker/agent.json }
            - name: GENNAKER_INSTALL_TOKEN
              valueFrom:
                secretKeyRef: { name: gennaker-agent-install, key: token }
          volumeMounts:
            - { name: agent, mountPath: /agent, readOnly: true }
            - { name: state, mountPath: /var/lib/gennaker }
      volumes:
        - { name: agent, emptyDir: {} }
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
    note: 'Creates a Secret with the install token and a one-replica Deployment: an init container downloads the agent from this Gennaker and checks its SHA-256, and its state (the agent\u2019s own credential) lives on a volume, so a restarted pod does not need a new token. After Gennaker is upgraded, apply the manifest this page then shows: the checksum changes with the agent. Uses the current kubectl context and namespace.',
    needs: `kubectl, and a cluster that can pull ${DOWNLOAD_IMAGE} and ${AGENT_IMAGE}, reach this Gennaker and provide a 64 MiB volume.`,
    limitation: providerLater('Kubernetes', nameOf(account)),
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
    cmd: ['node', AGENT_FILE, ...(needsAllowHttp(input.origin) ? ['--allow-http'] : []), '--account', shellWord(account)].join(' '),
    // Mesos downloads fetch URIs into the task's sandbox, its working directory, at every start.
    // Marathon's fetch takes no checksum, so this download is not checked (unlike the others).
    fetch: [{ uri: agentDownloadUrl(input.origin) }],
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
    note: 'Adds a one-instance Marathon app that fetches the agent from this Gennaker into its sandbox and keeps the agent\u2019s state on a local persistent volume. Marathon\u2019s fetch checks no checksum: the agent is trusted as this Gennaker serves it. The token in its environment is useless once the agent has registered.',
    needs: `The dcos CLI (or Marathon\u2019s address), and agents that can pull ${AGENT_IMAGE}, reach this Gennaker and reserve 64 MB of disk.`,
    limitation: providerLater('DC/OS', nameOf(account)),
  };
}

/** Names the suggestions avoid: accounts an agent serves, online or not. A revoked agent's are free to take over. */
export function takenAccountNames(accounts: readonly KnownAccount[]): string[] {
  return accounts.filter((a) => a.agent && a.agent.status !== 'revoked').map((a) => a.name);
}

/**
 * What is wrong with the name or account typed into the dialog, as the edge would say it at
 * registration; the commands are shown only for valid input. An account an online agent serves
 * is refused there (`POST /api/agent/v1/register`), so it is refused here, before the token is spent.
 */
export function inputErrors(input: Pick<InstallInput, 'name' | 'account'>, accounts: readonly KnownAccount[] = []): { name?: string; account?: string } {
  const errors: { name?: string; account?: string } = {};
  const name = input.name.trim();
  const account = input.account.trim();
  const nameCheck = agentRegister.shape.name.safeParse(name);
  if (name && !nameCheck.success) errors.name = nameCheck.error.issues[0]?.message ?? 'not a valid agent name';
  const accountCheck = accountName.safeParse(account);
  if (account && !accountCheck.success) errors.account = accountCheck.error.issues[0]?.message ?? 'not a valid account name';
  const holder = accounts.find((a) => a.name === account)?.agent;
  if (account && !errors.account && holder?.status === 'online') {
    errors.account = `agent \u201c${holder.name}\u201d serves ${account} and is online: choose another name, or stop or revoke that agent to replace it`;
  }
  return errors;
}

/**
 * What registering the typed account will do to the agent serving it now, when that agent is
 * offline or revoked: the account moves to the new agent, which is how an agent is replaced.
 */
export function accountTakeover(account: string, accounts: readonly KnownAccount[]): string | undefined {
  const holder = accounts.find((a) => a.name === account.trim())?.agent;
  if (!holder || holder.status === 'online') return undefined;
  return `Moves ${account.trim()} from the ${holder.status} agent \u201c${holder.name}\u201d to the new one: that is how an agent is replaced.`;
}

/** The three install commands for one install token, in the order the console shows them. */
export function installCommands(input: InstallInput): InstallCommand[] {
  return [local(input), kubernetes(input), dcos(input)];
}
