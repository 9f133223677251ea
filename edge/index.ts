import { app } from './app.ts';
import type { Env } from './env.ts';

export { ExecutionRunner } from './engine/execution-runner.ts';
export { PipelineAdmission } from './engine/pipeline-admission.ts';
export { TaskDoorbell } from './tasks/doorbell.ts';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
