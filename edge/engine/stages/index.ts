import type { StageBehaviour } from '../types.ts';
import { checkPreconditions } from './check-preconditions.ts';
import { evaluateVariables } from './evaluate-variables.ts';
import { manualJudgment } from './manual-judgment.ts';
import { pipeline } from './pipeline.ts';
import { wait } from './wait.ts';
import { webhook } from './webhook.ts';

/** Stage types the edge runs itself. Agent-run types (deploy, canary, …) are added with the agent work. */
const behaviours: readonly StageBehaviour[] = [wait, manualJudgment, checkPreconditions, evaluateVariables, webhook, pipeline];

const byType = new Map(behaviours.map((b) => [b.type, b]));
export const behaviourOf = (type: string): StageBehaviour | undefined => byType.get(type);
