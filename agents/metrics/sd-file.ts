/**
 * A Prometheus `file_sd_configs` file listing every instance the agent runs that has an address,
 * labelled with its server group and moniker, so a Prometheus next to the agent discovers canary
 * instances and the `prometheus` metric source can select them by `server_group="${scope}"`.
 */
import type { InventoryReport } from '../../contract/operations.ts';
import { writeAtomically } from './atomic-file.ts';

export interface FileSdTarget {
  targets: string[];
  labels: Record<string, string>;
}

/** Where an instance's metrics are, when not Prometheus' default `/metrics`. */
export type MetricsPathOf = (account: string, location: string, serverGroupName: string) => string | undefined;

/** One target per instance with an address, in a stable order (so an unchanged inventory writes an unchanged file). */
export function fileSdTargets(reports: readonly InventoryReport[], metricsPathOf: MetricsPathOf = () => undefined): FileSdTarget[] {
  const targets: FileSdTarget[] = [];
  for (const report of [...reports].sort((a, b) => a.account.localeCompare(b.account))) {
    for (const group of [...report.serverGroups].sort((a, b) => a.location.localeCompare(b.location) || a.name.localeCompare(b.name))) {
      const metricsPath = metricsPathOf(report.account, group.location, group.name);
      for (const instance of group.instances) {
        if (!instance.address) continue;
        let url: URL;
        try {
          url = new URL(instance.address);
        } catch {
          continue;
        }
        targets.push({
          targets: [url.host],
          labels: {
            server_group: group.name,
            cluster: group.moniker.cluster,
            app: group.moniker.app,
            stack: group.moniker.stack,
            detail: group.moniker.detail,
            account: report.account,
            location: group.location,
            instance_name: instance.name,
            ...(url.protocol === 'https:' ? { __scheme__: 'https' } : {}),
            ...(metricsPath && metricsPath !== '/metrics' ? { __metrics_path__: metricsPath } : {}),
          },
        });
      }
    }
  }
  return targets;
}

/** Rewrites the file when what it would say changes; one write at a time, each by rename (Prometheus never reads half a file);
 * readable by all, since Prometheus often runs as its own user. */
export class SdFileWriter {
  readonly #file: string;
  readonly #inventory: () => Promise<InventoryReport[]>;
  readonly #metricsPathOf: MetricsPathOf;
  readonly #log: (line: string) => void;
  #written: string | null = null;
  #queue: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(file: string, inventory: () => Promise<InventoryReport[]>, metricsPathOf: MetricsPathOf, log: (line: string) => void) {
    this.#file = file;
    this.#inventory = inventory;
    this.#metricsPathOf = metricsPathOf;
    this.#log = log;
  }

  /** Reads the inventory and writes the file if it changed; never throws (a failure is logged once per streak). */
  update(): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      try {
        const text = `${JSON.stringify(fileSdTargets(await this.#inventory(), this.#metricsPathOf), null, 2)}\n`;
        if (text !== this.#written) await writeAtomically(this.#file, text, 0o644);
        this.#written = text;
        this.#failing = false;
      } catch (err) {
        if (!this.#failing) this.#log(`cannot write the Prometheus file_sd file ${this.#file} (${(err as Error).message}); trying again on the next change`);
        this.#failing = true;
      }
    });
    return this.#queue;
  }
}
