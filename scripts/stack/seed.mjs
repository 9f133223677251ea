import { api, apiExpect } from './http.mjs';

export const DEMO_APPLICATION = 'demo';
export const DEMO_PIPELINE = 'Deploy to staging';
export const DEMO_DEPLOY_PIPELINE = 'Deploy hello';

/** The demo pipeline: a warm-up wait, then a person decides whether to promote. */
export function demoPipelineConfig() {
  return {
    name: DEMO_PIPELINE,
    description: 'Demo: waits for the build to settle, then asks a person before promoting to staging.',
    triggers: [{ type: 'manual' }],
    stages: [
      { refId: '1', type: 'wait', name: 'Wait for warm-up', waitTime: 30 },
      {
        refId: '2',
        requisiteStageRefIds: ['1'],
        type: 'manualJudgment',
        name: 'Promote to staging?',
        instructions: 'Check the warm-up metrics, then continue to promote or stop to abandon this run.',
        judgmentInputs: [{ value: 'promote' }, { value: 'abandon' }],
      },
    ],
  };
}

/**
 * A real deploy of examples/hello with the local provider: red/black to a new server group,
 * then a person decides whether to keep it (stop fails the run; roll back from the clusters view).
 */
export function demoDeployPipelineConfig() {
  return {
    name: DEMO_DEPLOY_PIPELINE,
    description: 'Demo: red/black deploy of examples/hello on this machine (the local provider), then a judgment.',
    triggers: [{ type: 'manual' }],
    parameterConfig: [
      { name: 'version', label: 'Version', default: '1.0.0', required: true, options: [{ value: '1.0.0' }, { value: '2.0.0' }, { value: '3.0.0' }] },
      { name: 'errorRate', label: 'Error rate (0..1)', default: '0', required: false },
    ],
    stages: [
      {
        refId: '1',
        type: 'deploy',
        name: 'Deploy hello',
        clusters: [
          {
            account: 'local',
            location: 'local',
            application: DEMO_APPLICATION,
            stack: 'hello',
            strategy: 'redblack',
            maxRemainingAsgs: 3,
            capacity: { min: 2, max: 2, desired: 2 },
            artifact: {
              type: 'process',
              command: 'node',
              args: ['examples/hello/server.mjs'],
              env: { VERSION: '${parameters.version}', ERROR_RATE: '${parameters.errorRate}' },
              version: 'hello ${parameters.version}',
            },
            healthCheckTimeoutSec: 60,
          },
        ],
      },
      {
        refId: '2',
        requisiteStageRefIds: ['1'],
        type: 'manualJudgment',
        name: 'Keep this version?',
        instructions: 'Open the load balancer address from the clusters view. Continue keeps it; stop fails this run (roll back from the clusters view).',
        judgmentInputs: [{ value: 'keep' }, { value: 'roll back' }],
      },
    ],
  };
}

/**
 * Creates the demo application and pipeline unless they exist. Safe to run again and again, and
 * alongside another seeder: a 409 from a lost race means "exists", which is the goal.
 */
export async function seedDemo({ url, token, ownerEmail }) {
  const created = { application: false, pipeline: false };
  const app = await api(url, 'GET', `/api/v1/applications/${DEMO_APPLICATION}`, { token });
  if (app.status === 404) {
    await apiExpect([201, 409], url, 'POST', '/api/v1/applications', {
      token,
      body: {
        name: DEMO_APPLICATION,
        email: ownerEmail,
        description: 'Demo application created by npm start: a pipeline to try the console with.',
        cloudProviders: ['local'],
      },
    });
    created.application = true;
  } else if (app.status !== 200) {
    throw new Error(`GET /api/v1/applications/${DEMO_APPLICATION} answered ${app.status}: ${app.json?.error?.message ?? app.text}`);
  }
  const { items } = await apiExpect(200, url, 'GET', `/api/v1/applications/${DEMO_APPLICATION}/pipelines`, { token });
  if (!items.some((p) => p.name === DEMO_PIPELINE)) {
    await apiExpect([201, 409], url, 'POST', `/api/v1/applications/${DEMO_APPLICATION}/pipelines`, { token, body: demoPipelineConfig() });
    created.pipeline = true;
  }
  if (!items.some((p) => p.name === DEMO_DEPLOY_PIPELINE)) {
    await apiExpect([201, 409], url, 'POST', `/api/v1/applications/${DEMO_APPLICATION}/pipelines`, { token, body: demoDeployPipelineConfig() });
  }
  return created;
}
