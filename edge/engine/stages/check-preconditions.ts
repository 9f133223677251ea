import { clusterSizeCheck, comparisons, type Comparison } from '../../clusters/selection.ts';
import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';

interface Precondition {
  type: 'expression' | 'stageStatus' | 'clusterSize';
  failPipeline?: boolean;
  context: Record<string, unknown>;
}

/** The precondition's expression as written in the pipeline, before the stage's context was evaluated. */
function writtenExpression(rt: StageRuntime, index: number): unknown {
  const stages = (rt.execution.config.stages ?? []) as { refId?: unknown; preconditions?: Precondition[] }[];
  return stages.find((s) => s.refId === rt.stage.refId)?.preconditions?.[index]?.context.expression;
}

const describe = (v: unknown) => (v === false || v === 'false' ? 'false' : `${JSON.stringify(v)}, not true`);

type Verdict = { ok: true } | { ok: false; message: string };

/**
 * `clusterSize`: in every one of `regions`, the cluster's server groups (enabled ones only, if
 * asked) compared to `expected`, as agents last reported them.
 */
async function clusterSize(rt: StageRuntime, c: Record<string, unknown>): Promise<Verdict> {
  const account = String(c.account ?? c.credentials ?? '');
  const cluster = String(c.cluster ?? '');
  const regions = (Array.isArray(c.regions) ? c.regions : []) as string[];
  const comparison = (c.comparison ?? '==') as Comparison;
  const expected = Number(c.expected);
  if (!account || !cluster || regions.length === 0) return { ok: false, message: 'clusterSize needs account, cluster and at least one region' };
  if (!comparisons.includes(comparison)) return { ok: false, message: `clusterSize comparison must be one of ${comparisons.join(' ')}, not ${JSON.stringify(comparison)}` };
  if (!Number.isInteger(expected) || expected < 0) return { ok: false, message: `clusterSize expected must be a whole number ≥ 0, not ${JSON.stringify(c.expected)}` };
  const onlyEnabledServerGroups = c.onlyEnabledServerGroups === true;
  for (const region of regions) {
    const { ok, actual } = clusterSizeCheck(await rt.inventory.cluster(account, region, cluster), { comparison, expected, onlyEnabledServerGroups });
    if (ok) continue;
    const what = onlyEnabledServerGroups ? 'enabled server group' : 'server group';
    return { ok: false, message: `cluster "${cluster}" in ${account}/${region} has ${actual} ${what}${actual === 1 ? '' : 's'}, expected ${comparison} ${expected}` };
  }
  return { ok: true };
}

/** One precondition's verdict: passed, or why not. */
async function check(rt: StageRuntime, p: Precondition, index: number): Promise<Verdict> {
  switch (p.type) {
    case 'expression': {
      // The context was evaluated when the stage started: `${…}` is already a value here.
      const value = p.context.expression;
      const written = writtenExpression(rt, index) ?? value;
      if (value === true || value === 'true') return { ok: true };
      // Only an expression written without `${ }` is evaluated now; a value that came out of `${ }`
      // (a parameter, say) is data and is never run as an expression.
      if (typeof written === 'string' && !written.includes('${') && written !== 'false') {
        const r = rt.evaluate(written);
        if (!r.ok) return { ok: false, message: `expression "${written}" failed: ${r.reason}` };
        if (r.value === true) return { ok: true };
        return { ok: false, message: (p.context.failureMessage as string | undefined) ?? `expression "${written}" is ${describe(r.value)}` };
      }
      return { ok: false, message: (p.context.failureMessage as string | undefined) ?? `expression "${String(written)}" is ${describe(value)}` };
    }
    case 'stageStatus': {
      const name = String(p.context.stageName);
      const stage = rt.stages.find((s) => s.name === name);
      if (!stage) return { ok: false, message: `no stage named "${name}"` };
      const wanted = String(p.context.stageStatus).split(',').map((s) => s.trim().toUpperCase());
      return wanted.includes(stage.status) ? { ok: true } : { ok: false, message: `stage "${name}" is ${stage.status}, expected ${wanted.join(' or ')}` };
    }
    case 'clusterSize':
      return clusterSize(rt, p.context);
    default: {
      const never: never = p.type;
      return { ok: false, message: `unknown precondition ${String(never)}` };
    }
  }
}

/**
 * `checkPreconditions`: every precondition must hold. One that fails with `failPipeline: false`
 * only warns (recorded in outputs); any other failure fails the stage.
 */
export const checkPreconditions: StageBehaviour = {
  type: 'checkPreconditions',
  async start(rt): Promise<StageStep> {
    const preconditions = (rt.stage.context.preconditions ?? []) as Precondition[];
    const warnings: string[] = [];
    for (const [i, p] of preconditions.entries()) {
      const verdict = await check(rt, p, i);
      if (verdict.ok) continue;
      if (p.failPipeline === false) {
        warnings.push(verdict.message);
        continue;
      }
      return { status: 'FAILED', outputs: { warnings }, error: { kind: 'user', message: verdict.message, field: `preconditions[${i}]` } };
    }
    return { status: 'SUCCEEDED', outputs: { warnings } };
  },
};
