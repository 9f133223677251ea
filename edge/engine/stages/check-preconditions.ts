import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';

interface Precondition {
  type: 'expression' | 'stageStatus' | 'clusterSize';
  failPipeline?: boolean;
  context: Record<string, unknown>;
}

/** One precondition's verdict: passed, or why not. */
function check(rt: StageRuntime, p: Precondition): { ok: true } | { ok: false; message: string } {
  switch (p.type) {
    case 'expression': {
      // The context was evaluated when the stage started: `${…}` is already a value here.
      const value = p.context.expression;
      if (value === true || value === 'true') return { ok: true };
      if (typeof value === 'string' && value !== 'false') {
        const r = rt.evaluate(value.replace(/^\$\{([\s\S]*)\}$/, '$1'));
        if (!r.ok) return { ok: false, message: `expression "${value}" failed: ${r.reason}` };
        if (r.value === true) return { ok: true };
      }
      return { ok: false, message: (p.context.failureMessage as string | undefined) ?? `expression "${String(value)}" is false` };
    }
    case 'stageStatus': {
      const name = String(p.context.stageName);
      const stage = rt.stages.find((s) => s.name === name);
      if (!stage) return { ok: false, message: `no stage named "${name}"` };
      const wanted = String(p.context.stageStatus).split(',').map((s) => s.trim().toUpperCase());
      return wanted.includes(stage.status) ? { ok: true } : { ok: false, message: `stage "${name}" is ${stage.status}, expected ${wanted.join(' or ')}` };
    }
    case 'clusterSize':
      return { ok: false, message: 'clusterSize preconditions need server group inventory from agents, which is not built yet' };
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
      const verdict = check(rt, p);
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
