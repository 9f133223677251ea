import type { StageBehaviour } from '../types.ts';
import { canary } from './canary/index.ts';
import { checkPreconditions } from './check-preconditions.ts';
import { disableCluster, rollbackCluster, scaleDownCluster, shrinkCluster } from './cluster-ops.ts';
import { deploy } from './deploy.ts';
import { destroyServerGroup, disableServerGroup, enableServerGroup, resizeServerGroup } from './server-group-ops.ts';
import { evaluateVariables } from './evaluate-variables.ts';
import { manualJudgment } from './manual-judgment.ts';
import { pipeline } from './pipeline.ts';
import { wait } from './wait.ts';
import { webhook } from './webhook.ts';

/** Every stage type that can run: edge-run ones, and agent-run ones that queue operations for agents. */
const behaviours: readonly StageBehaviour[] = [
  wait,
  manualJudgment,
  checkPreconditions,
  evaluateVariables,
  webhook,
  pipeline,
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

const byType = new Map(behaviours.map((b) => [b.type, b]));
export const behaviourOf = (type: string): StageBehaviour | undefined => byType.get(type);
