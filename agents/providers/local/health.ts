/**
 * Instance health: an HTTP probe, the pure rule that turns probes into health, and the ticker
 * that runs the checks every interval without ever overlapping itself.
 */
import type { InstanceSnapshot } from '../../../contract/operations.ts';
import { httpRequest, HttpRequestError } from '../../http.ts';
import { httpAddress } from './names.ts';

/** What the process and its health endpoint say; OutOfService/Draining come from the LB side. */
export type ProcessHealth = Extract<InstanceSnapshot['health'], 'Starting' | 'Up' | 'Down'>;

export type Probe =
  | { kind: 'ok'; status: number }
  | { kind: 'unhealthy'; status: number }
  | { kind: 'unreachable'; error: string }
  | { kind: 'exited' };

/**
 * The health after a probe. A starting process that refuses connections is still starting
 * (it may not listen yet); once it has been Up, a refusal means Down. A health endpoint that
 * answers non-2xx is Down at any time, and so is a process that has exited.
 */
export function nextHealth(current: ProcessHealth, everUp: boolean, probe: Probe): ProcessHealth {
  switch (probe.kind) {
    case 'ok':
      return 'Up';
    case 'unhealthy':
    case 'exited':
      return 'Down';
    case 'unreachable':
      return everUp || current === 'Down' ? 'Down' : 'Starting';
    default: {
      const never: never = probe;
      throw new Error(`unknown probe ${JSON.stringify(never)}`);
    }
  }
}

/** One line for logs and errors: "HTTP 503", "connect ECONNREFUSED …", "process exited". */
export function describeProbe(probe: Probe): string {
  switch (probe.kind) {
    case 'ok':
    case 'unhealthy':
      return `HTTP ${probe.status}`;
    case 'unreachable':
      return probe.error;
    case 'exited':
      return 'process exited';
    default: {
      const never: never = probe;
      throw new Error(`unknown probe ${JSON.stringify(never)}`);
    }
  }
}

/** GETs `http://host:port<path>`: 2xx is ok; no keep-alive, so probes hold no connections. */
export async function probeHttp(host: string, port: number, path: string, timeoutMs: number): Promise<Probe> {
  try {
    const res = await httpRequest({ method: 'GET', url: `${httpAddress(host, port)}${path}`, headers: { 'user-agent': 'gennaker-agent-health' }, timeoutMs, keepAlive: false, maxBodyBytes: 64 * 1024 });
    return res.ok ? { kind: 'ok', status: res.status } : { kind: 'unhealthy', status: res.status };
  } catch (err) {
    if (!(err instanceof HttpRequestError)) throw err;
    return { kind: 'unreachable', error: err.message };
  }
}

/**
 * Runs `check` every `intervalMs`; a check still running when the next is due delays it
 * rather than running twice at once. Errors go to `onError` and the ticking goes on.
 */
export class Ticker {
  readonly #intervalMs: number;
  readonly #check: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(intervalMs: number, check: () => Promise<void>, onError: (err: unknown) => void) {
    this.#intervalMs = intervalMs;
    this.#check = check;
    this.#onError = onError;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Runs a check now (waiting for one already running first). */
  async runNow(): Promise<void> {
    while (this.#running) await this.#running;
    this.#running = this.#check()
      .catch(this.#onError)
      .finally(() => (this.#running = undefined));
    await this.#running;
  }

  /** Stops ticking; resolves once a running check has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    while (this.#running) await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.runNow().finally(() => this.#schedule());
    }, this.#intervalMs);
    // Health checks alone must not keep the agent alive.
    this.#timer.unref();
  }
}
