/** How the local provider names what it makes. Pure, so tests pin the names down. */
import path from 'node:path';

/** `hello-v001` + 2 → `hello-v001-2`; also the instance id. */
export function instanceName(serverGroup: string, index: number): string {
  return `${serverGroup}-${index}`;
}

/** Where an instance's stdout and stderr go: one file per instance under `<stateDir>/logs`. */
export function instanceLogFile(stateDir: string, account: string, location: string, instance: string): string {
  return path.join(stateDir, 'logs', `${safe(account)}.${safe(location)}.${safe(instance)}.log`);
}

/** The load balancers a group joins: those asked for, or else its cluster's own. */
export function loadBalancersFor(requested: readonly string[], cluster: string): string[] {
  const names = requested.length ? requested : [cluster];
  return [...new Set(names)];
}

/** The front address of a load balancer or instance listening on `host:port`. */
export function httpAddress(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function safe(part: string): string {
  return part.replace(/[^\w.-]+/g, '_');
}
