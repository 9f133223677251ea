import type { StageBehaviour } from '../types.ts';

/**
 * `evaluateVariables`: its `variables[].value` were evaluated with the rest of the context when the
 * stage started, so each value is already a result; publish them as outputs.
 */
export const evaluateVariables: StageBehaviour = {
  type: 'evaluateVariables',
  async start(rt) {
    const variables = (rt.stage.context.variables ?? []) as { key: string; value: unknown }[];
    return { status: 'SUCCEEDED', outputs: Object.fromEntries(variables.map((v) => [v.key, v.value])) };
  },
};
