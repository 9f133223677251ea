import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { agentAccount, agentRegister } from '../contract/agents.ts';
import { baseUrlOf } from './metrics/urls.ts';

export type AgentAccount = z.infer<typeof agentAccount>;

/** How one agent process runs, from flags with environment fallbacks. */
export interface AgentOptions {
  /** Base URL of the edge without a trailing slash; from the state file when omitted. */
  server: string | undefined;
  /** One-time install token; needed on the first start only. */
  installToken: string | undefined;
  /** Undefined when not given: the host name at registration; a registered agent keeps its name. */
  name: string | undefined;
  stateFile: string;
  /** Undefined when not given: {@link DEFAULT_ACCOUNTS} at registration. */
  accounts: AgentAccount[] | undefined;
  /** The Prometheus that `collectMetrics` tasks query when they name none, without a trailing slash. */
  prometheusUrl?: string | undefined;
  /**
   * Other Prometheus base URLs a canary may name (normalised like `prometheusUrl`); a canary
   * naming any other is refused, so pipelines cannot make the agent fetch arbitrary addresses.
   */
  prometheusAllow?: string[] | undefined;
  /** Where to keep a Prometheus `file_sd_configs` file listing every instance this agent runs. */
  prometheusSdFile?: string | undefined;
}

export type ParsedArgs = { command: 'run'; options: AgentOptions } | { command: 'help' } | { command: 'version' };

/** Bad command line: the CLI prints the message and the hint to use --help, and exits 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: gennaker-agent --server URL --token INSTALL_TOKEN [options]

Registers with a Gennaker edge on first start (trading the one-time install token for its own
credential, kept in the state file), then heartbeats, runs the tasks the edge queues for its
accounts and reports their inventory. Later starts need only --state. The local provider keeps
its state in a local/ folder beside the state file.

Options:
  --server URL        the Gennaker edge, e.g. https://gennaker.example.com   [$GENNAKER_SERVER]
  --token TOKEN       one-time install token (gni_…), first start only      [$GENNAKER_INSTALL_TOKEN]
  --name NAME         agent name (letters, digits, _ . -); default: host name [$GENNAKER_AGENT_NAME]
                      (name and accounts are set at registration)
  --state FILE        where the agent keeps its identity; default ~/.gennaker-agent.json
                                                                             [$GENNAKER_AGENT_STATE]
  --account SPEC      an account to serve, NAME[:PROVIDER[:LOCATION,…]]; repeatable;
                      default local:local:local. Providers: local, kubernetes, dcos, aws, gce, azure
  --allow-http        allow plain http to a server that is not on this machine
  --prometheus-url URL
                      the Prometheus canary analysis queries when the canary names none,
                      e.g. http://prometheus.monitoring:9090                [$GENNAKER_PROMETHEUS_URL]
  --prometheus-allow URL
                      another Prometheus a canary may name as its metrics source; repeatable.
                      Canaries naming any URL other than these and --prometheus-url fail
                                              [$GENNAKER_PROMETHEUS_ALLOW, comma-separated]
  --prometheus-sd-file FILE
                      keep a Prometheus file_sd_configs file listing every instance, labelled
                      server_group, cluster, app, stack, detail, account, location,
                      instance_name                                     [$GENNAKER_PROMETHEUS_SD_FILE]
  -h, --help          show this help
  -v, --version       print the agent version`;

/** What an agent serves when no --account is given: this machine, through the local provider. */
export const DEFAULT_ACCOUNTS: readonly AgentAccount[] = [{ name: 'local', provider: 'local', locations: ['local'] }];

/** Parses the command line (and GENNAKER_* environment fallbacks) into options; throws UsageError. */
export function parseAgentArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env, home = os.homedir()): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        name: { type: 'string' },
        state: { type: 'string' },
        account: { type: 'string', multiple: true },
        'allow-http': { type: 'boolean', default: false },
        'prometheus-url': { type: 'string' },
        'prometheus-allow': { type: 'string', multiple: true },
        'prometheus-sd-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    }));
  } catch (err) {
    // node:util's messages are good ("Unknown option '--sever'"); drop its trailing hint.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };

  const server = values.server ?? env.GENNAKER_SERVER;
  const name = values.name ?? env.GENNAKER_AGENT_NAME;
  const nameCheck = agentRegister.shape.name.safeParse(name);
  if (name !== undefined && !nameCheck.success) throw new UsageError(`--name "${name}": ${nameCheck.error.issues[0]?.message}`);
  const stateFile = values.state ?? env.GENNAKER_AGENT_STATE ?? path.join(home, '.gennaker-agent.json');
  const accounts = values.account?.map(parseAccountSpec);
  const duplicate = accounts?.find((a, i) => accounts.findIndex((b) => b.name === a.name) !== i);
  if (duplicate) throw new UsageError(`--account "${duplicate.name}" is given twice`);
  const prometheusUrl = values['prometheus-url'] ?? env.GENNAKER_PROMETHEUS_URL;
  const prometheusSdFile = values['prometheus-sd-file'] ?? env.GENNAKER_PROMETHEUS_SD_FILE;
  const prometheusAllow = values['prometheus-allow'] ?? env.GENNAKER_PROMETHEUS_ALLOW?.split(',').map((u) => u.trim()).filter(Boolean);

  return {
    command: 'run',
    options: {
      server: server === undefined ? undefined : normalizeServer(server, values['allow-http']),
      installToken: values.token ?? env.GENNAKER_INSTALL_TOKEN,
      name,
      stateFile: path.resolve(stateFile),
      accounts,
      prometheusUrl: prometheusUrl === undefined ? undefined : normalizePrometheusUrl(prometheusUrl),
      prometheusAllow: prometheusAllow === undefined ? undefined : [...new Set(prometheusAllow.map((u) => normalizePrometheusUrl(u, '--prometheus-allow')))],
      prometheusSdFile: prometheusSdFile === undefined ? undefined : path.resolve(prometheusSdFile),
    },
  };
}

/**
 * An http(s) base URL without a trailing slash; Prometheus may sit under a path (behind a proxy).
 * Canaries' URLs are compared with it in the same form (`agents/metrics/urls.ts`).
 */
export function normalizePrometheusUrl(raw: string, flag = '--prometheus-url'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} "${raw}" is not a URL (expected e.g. http://prometheus:9090)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${flag} "${raw}" must be an http(s) URL`);
  if (url.search || url.hash || url.username || url.password) throw new UsageError(`${flag} "${raw}" must not have a query, fragment or credentials`);
  return baseUrlOf(url);
}

/** `NAME[:PROVIDER[:LOCATION,…]]`; provider defaults to `local`, locations to `local`. */
export function parseAccountSpec(spec: string): AgentAccount {
  const [name = '', provider = 'local', locations = 'local', ...rest] = spec.split(':');
  if (rest.length) throw new UsageError(`--account "${spec}": expected NAME[:PROVIDER[:LOCATION,…]]`);
  const parsed = agentAccount.safeParse({ name, provider, locations: locations.split(',').map((l) => l.trim()) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const part = issue?.path[0] === 'locations' ? 'location' : String(issue?.path[0] ?? 'spec');
    const detail = issue?.code === 'invalid_value' ? `must be one of ${agentAccount.shape.provider.options.join(', ')}` : issue?.message;
    throw new UsageError(`--account "${spec}": ${part} ${detail}`);
  }
  return parsed.data;
}

/**
 * The edge's base URL without a trailing slash. Plain http is for this machine only, unless
 * asked for: the agent sends its credential on every call.
 */
export function normalizeServer(raw: string, allowHttp = false): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server "${raw}" is not a URL (expected e.g. https://gennaker.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--server "${raw}" must be an http(s) URL`);
  if (url.search || url.hash || url.username || url.password) throw new UsageError(`--server "${raw}" must not have a query, fragment or credentials`);
  if (url.protocol === 'http:' && !allowHttp && !isLoopback(url.hostname)) {
    throw new UsageError(`--server "${raw}" uses plain http to another machine; use https, or pass --allow-http`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** A host name made into a valid agent name: `build-01.example.com` stays, odd characters become `-`. */
export function nameFromHost(host: string): string {
  const name = host.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  return name || 'agent';
}
