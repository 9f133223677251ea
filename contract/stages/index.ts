import { canary } from './canary.ts';
import { checkPreconditions } from './check-preconditions.ts';
import { disableCluster, rollbackCluster, scaleDownCluster, shrinkCluster } from './cluster-ops.ts';
import type { StageType } from './common.ts';
import { deploy } from './deploy.ts';
import { evaluateVariables } from './evaluate-variables.ts';
import { manualJudgment } from './manual-judgment.ts';
import { pipeline } from './pipeline.ts';
import { runJob } from './run-job.ts';
import { destroyServerGroup, disableServerGroup, enableServerGroup, resizeServerGroup } from './server-group-ops.ts';
import { wait } from './wait.ts';
import { webhook } from './webhook.ts';

/** Every stage type Gennaker knows, in the order the editor offers them. An explicit list, not discovery. */
export const stageTypes: readonly StageType[] = [
  wait,
  manualJudgment,
  checkPreconditions,
  evaluateVariables,
  webhook,
  pipeline,
  runJob,
  deploy,
  enableServerGroup,
  disableServerGroup,
  resizeServerGroup,
  destroyServerGroup,
  disableCluster,
  scaleDownCluster,
  shrinkCluster,
  rollbackCluster,
  canary,
];

const byType = new Map(stageTypes.map((s) => [s.type, s]));

/** The stage type named `type`, or undefined when Gennaker has no such stage. */
export function stageType(type: string): StageType | undefined {
  return byType.get(type);
}

export { stageBase } from './common.ts';
export type { StageType } from './common.ts';
