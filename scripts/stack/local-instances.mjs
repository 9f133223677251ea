// The instances the local agent's provider started (deployed server groups) outlive the agent on
// purpose, so an agent restart re-adopts them. When `npm start` stops, it ends them too: it
// started everything; the next `npm start` restores them from the provider's state.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stopProcess } from '../../agents/providers/local/supervisor.ts';

/** Stops every instance recorded under `<stateDir>/local`; returns how many were running. */
export async function stopLocalInstances(stateDir) {
  let state;
  try {
    state = JSON.parse(await readFile(path.join(stateDir, 'local', 'local-provider.json'), 'utf8'));
  } catch {
    return 0;
  }
  const instances = (state.serverGroups ?? []).flatMap((g) => g.instances ?? []);
  const results = await Promise.all(instances.map((i) => stopProcess(i.pid ?? null, i.startTicks ?? null, 5_000)));
  return results.filter((r) => r !== 'gone').length;
}
