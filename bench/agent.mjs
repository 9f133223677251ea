// Agent figures on the real local stack (wrangler dev + the local agent with its local provider
// running examples/hello as real processes):
// - agent.pickup_p50_ms / _p99_ms: task queued → the agent has it. 50 one-click `enable` actions,
//   one at a time, on a running server group; for each, from the task's createdAt (the edge's
//   clock when the engine queued it: D1 insert and doorbell ring included) to the moment the agent
//   printed "received" for that task (its stdout read here, on the same machine's clock). The
//   agent is idle in a long poll each time, so this is the doorbell path: wake, D1 lease, answer.
// - agent.rss_mb_20_server_groups: the agent process's VmRSS (not its instances', not its
//   supervisor's) once 20 server groups of one instance each are deployed and Up; median of 5
//   readings a second apart. The agent runs as shipped: the bundle, built here first.
// - lb.redblack_success_ratio: requests that succeeded / sent through the cluster's load balancer
//   (4 at a time) while a red/black deploy moves it from v1 to v2; must be 1.
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildAgent } from '../scripts/build-agent.mjs';
import { startStack } from '../scripts/stack.mjs';
import { bundleIsFresh } from '../scripts/stack/agent.mjs';

const PORT = 8830;
const PICKUPS = 50;
const GROUPS = 20;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Processes whose stdout is a file under `dir`: the instances a provider on `dir` started. */
async function processesLoggingTo(dir) {
  const found = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const target = await readlink(`/proc/${entry}/fd/1`).catch(() => '');
    if (target.startsWith(`${dir}${path.sep}`)) found.push(Number(entry));
  }
  return found;
}

/** The agent itself: the child of its supervisor (the stack's agentProcess), run from the bundle or agents/cli.ts. */
async function agentPid(supervisorPid) {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== supervisorPid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(path.join('agents', 'cli.ts')) || cmdline.includes('gennaker-agent.mjs')) return Number(entry);
  }
  throw new Error(`no agent process under supervisor ${supervisorPid}`);
}

async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for pid ${pid}`);
  return kb / 1024;
}

/** Returns `{figure: {value, unit}}` for the agent. */
export async function benchAgent() {
  // The stack runs the TypeScript sources when the bundle is older than they are: measure what ships.
  await buildAgent();
  if (!bundleIsFresh()) throw new Error('the agent bundle is older than its sources right after building it');
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-bench-agent-'));
  /** When the agent said it received each task, by the task id's first 8 characters. */
  const received = new Map();
  const log = (line) => {
    const m = /^\[agent\] task ([0-9a-f]{8}) \S+ \S+: received/.exec(line);
    if (m && !received.has(m[1])) received.set(m[1], Date.now());
  };
  let stack;
  try {
    stack = await startStack({ port: PORT, stateDir, agent: true, seed: false, log });
  } catch (err) {
    // Nothing of ours runs yet (startStack ends what it started), but its folder holds the admin's secrets.
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const call = async (method, p, body) => {
    const res = await fetch(`${stack.url}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${stack.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const until = async (what, fn, timeoutMs, pollMs = 100) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(pollMs);
    }
  };
  const finished = async (id, timeoutMs = 120_000, pollMs = 100) => {
    const e = await until(`execution ${id}`, async () => {
      const x = await call('GET', `/executions/${id}`);
      return ['NOT_STARTED', 'RUNNING'].includes(x.status) ? undefined : x;
    }, timeoutMs, pollMs);
    if (e.status !== 'SUCCEEDED') throw new Error(`execution ${id} (${e.name}) ended ${e.status}: ${JSON.stringify(e.stages.map((s) => s.error).filter(Boolean))}`);
    return e;
  };
  const clusters = async () => (await call('GET', '/applications/bench/clusters')).accounts?.[0]?.clusters ?? [];
  const groupsOf = (all, cluster) => all.find((c) => c.cluster === cluster)?.locations?.[0]?.serverGroups ?? [];
  const deployPipeline = async (stackName, desired, strategy, extra = {}) =>
    (await call('POST', '/applications/bench/pipelines', {
      name: `deploy ${stackName}`,
      limitConcurrent: true,
      parameterConfig: [{ name: 'version', default: '1.0.0' }],
      stages: [{
        refId: '1', type: 'deploy', name: 'Deploy',
        clusters: [{
          account: 'local', location: 'local', application: 'bench', stack: stackName, strategy,
          capacity: { min: desired, max: desired, desired },
          artifact: { type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env: { VERSION: '${parameters.version}', LATENCY_MS: '20' } },
          healthCheckTimeoutSec: 60,
          ...extra,
        }],
      }],
    })).id;

  try {
    await call('POST', '/applications', { name: 'bench' });

    // 1. Memory: 20 server groups of one instance each, deployed at once (20 pipelines).
    const stacks = Array.from({ length: GROUPS }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const pipelines = await Promise.all(stacks.map((s) => deployPipeline(s, 1, 'none')));
    const runs = await Promise.all(pipelines.map((id) => call('POST', `/pipelines/${id}/executions`, { parameters: { version: '1.0.0' } })));
    for (const run of runs) await finished(run.id, 180_000, 250);
    await until('20 server groups Up in the inventory', async () => {
      const all = await clusters();
      return stacks.every((s) => groupsOf(all, `bench-${s}`).some((g) => g.instanceCounts.up === 1));
    }, 60_000, 500);
    const pid = await agentPid(stack.agentProcess.pid);
    await sleep(3_000);
    const rss = [];
    for (let i = 0; i < 5; i++) {
      rss.push(await rssMb(pid));
      await sleep(1_000);
    }

    // 2. Pickup: enable actions, one at a time, on a running group; the agent waits in its long poll each time.
    const target = groupsOf(await clusters(), 'bench-s00')[0];
    const pickups = [];
    for (let i = 0; i < PICKUPS; i++) {
      await sleep(50);
      const action = await call('POST', `/server-groups/${target.id}/actions`, { action: 'enable' });
      const done = await finished(action.id, 30_000, 20);
      const { items } = await call('GET', `/executions/${done.id}/stages/${done.stages[0].id}/tasks`);
      const task = items[0];
      const at = received.get(task.id.slice(0, 8));
      if (task.attempt !== 1 || at === undefined) throw new Error(`task ${task.id}: attempt ${task.attempt}, received line ${at === undefined ? 'missing' : 'seen'}`);
      pickups.push(at - Date.parse(task.createdAt));
    }

    // 3. Red/black under load through the load balancer.
    const web = await deployPipeline('web', 2, 'redblack', { maxRemainingAsgs: 2 });
    await finished((await call('POST', `/pipelines/${web}/executions`, { parameters: { version: '1.0.0' } })).id);
    const address = await until('the load balancer', async () => (await call('GET', '/applications/bench/load-balancers')).items?.find((l) => l.name === 'bench-web')?.address, 60_000, 250);
    await until('v1 behind the load balancer', async () => (await fetch(address).catch(() => null))?.ok, 30_000);
    let stop = false;
    const sent = { ok: 0, failed: 0, versions: new Set() };
    const worker = async () => {
      const deadline = Date.now() + 180_000;
      while (!stop && Date.now() < deadline) {
        try {
          const res = await fetch(address, { signal: AbortSignal.timeout(10_000) });
          const body = await res.json();
          if (res.ok) {
            sent.ok++;
            sent.versions.add(body.version);
          } else sent.failed++;
        } catch {
          sent.failed++;
        }
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await finished((await call('POST', `/pipelines/${web}/executions`, { parameters: { version: '2.0.0' } })).id);
    await sleep(500);
    stop = true;
    await load;

    const p50 = percentile(pickups, 50);
    const p99 = percentile(pickups, 99);
    const rssMedian = percentile(rss, 50);
    console.log(`agent: pickup over ${pickups.length} enable tasks: p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...pickups)} ms (task createdAt → agent's "received" line)`);
    console.log(`agent: RSS of pid ${pid} with ${GROUPS} server groups: ${rss.map((x) => x.toFixed(1)).join(', ')} MB`);
    console.log(`lb: red/black under load: ${sent.ok} ok, ${sent.failed} failed, versions seen ${[...sent.versions].sort().join(', ')}`);
    return {
      'agent.pickup_p50_ms': { value: p50, unit: 'ms' },
      'agent.pickup_p99_ms': { value: p99, unit: 'ms' },
      'agent.rss_mb_20_server_groups': { value: rssMedian, unit: 'MB' },
      'lb.redblack_success_ratio': { value: sent.ok / Math.max(1, sent.ok + sent.failed), unit: 'ratio' },
    };
  } finally {
    await stack.stop();
    // Instances outlive the agent by design: end the ones this bench started.
    for (const p of await processesLoggingTo(stateDir)) {
      try {
        process.kill(-p, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await rm(stateDir, { recursive: true, force: true });
  }
}
