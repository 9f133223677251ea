import { api, apiExpect } from './http.mjs';

export const DEMO_APPLICATION = 'demo';
export const DEMO_PIPELINE = 'Deploy to staging';
export const DEMO_DEPLOY_PIPELINE = 'Deploy hello';
export const DEMO_CANARY_PIPELINE = 'Canary hello';
export const DEMO_CANARY_CONFIG = 'hello-health';

/** The examples/hello process artifact at the pipeline's `version` and `errorRate` parameters. */
const helloArtifact = () => ({
  type: 'process',
  command: 'node',
  args: ['examples/hello/server.mjs'],
  env: { VERSION: '${parameters.version}', ERROR_RATE: '${parameters.errorRate}' },
  version: 'hello ${parameters.version}',
});

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
            artifact: helloArtifact(),
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
 * How examples/hello's health is judged, from its own /metrics (the builtin source: the agent
 * scrapes baseline and canary instances itself). Errors and latency count only real traffic, so
 * the error ratio divides by the latency histogram's count rather than http_requests_total, which
 * also counts health probes and scrapes.
 */
export function demoCanaryConfig() {
  return {
    name: DEMO_CANARY_CONFIG,
    metrics: [
      {
        name: 'error ratio',
        query: { type: 'builtin', metric: 'http_request_errors_total', aggregation: 'ratio', denominator: 'http_request_duration_seconds_count' },
        groups: ['errors'],
        analysisConfigurations: { canary: { direction: 'increase', critical: true, nanStrategy: 'remove' } },
      },
      {
        name: 'latency p99',
        query: { type: 'builtin', metric: 'http_request_duration_seconds', aggregation: 'quantile', quantile: 0.99 },
        groups: ['latency'],
        // A histogram quantile jumps between bucket bounds: only a canary half again as slow counts.
        analysisConfigurations: { canary: { direction: 'increase', effectSize: { allowedIncrease: 1.5 } } },
      },
    ],
    classifier: { groupWeights: { errors: 70, latency: 30 }, scoreThresholds: { pass: 75, marginal: 50 } },
  };
}

/**
 * A canary of examples/hello against production (`demo-hello`, made by "Deploy hello"): a
 * baseline group of production's version and a canary group of `version` share production's
 * load balancer for two minutes, judged each minute; only a pass is promoted (red/black). With
 * `errorRate` above 0 the canary's error ratio is higher than the baseline's: judged Fail, the
 * promotion is skipped. The judge needs traffic through the load balancer while it runs.
 */
export function demoCanaryPipelineConfig() {
  return {
    name: DEMO_CANARY_PIPELINE,
    description:
      'Demo: canary of examples/hello beside production (run "Deploy hello" first), promoted only when the canary passes. ' +
      'Needs traffic on the demo-hello load balancer while it runs (npm start sends some).',
    triggers: [{ type: 'manual' }],
    parameterConfig: [
      { name: 'version', label: 'Version', default: '2.0.0', required: true, options: [{ value: '1.0.0' }, { value: '2.0.0' }, { value: '3.0.0' }] },
      { name: 'errorRate', label: 'Error rate of the canary (0..1)', default: '0', required: false },
    ],
    stages: [
      {
        refId: '1',
        type: 'canary',
        name: 'Canary',
        canaryConfigName: DEMO_CANARY_CONFIG,
        account: 'local',
        location: 'local',
        cluster: `${DEMO_APPLICATION}-hello`,
        artifact: helloArtifact(),
        instances: 1,
        lifetimeMins: 2,
        analysisIntervalMins: 1,
        stepSec: 5,
        healthCheckTimeoutSec: 60,
        // A failed canary lets the pipeline go on, so the promotion below is skipped rather than the run ending at once.
        continuePipeline: true,
      },
      {
        refId: '2',
        requisiteStageRefIds: ['1'],
        type: 'deploy',
        name: 'Promote',
        stageEnabled: { type: 'expression', expression: "${stage('Canary').outputs.result == 'Pass'}" },
        clusters: [
          {
            account: 'local',
            location: 'local',
            application: DEMO_APPLICATION,
            stack: 'hello',
            strategy: 'redblack',
            maxRemainingAsgs: 3,
            capacity: { min: 2, max: 2, desired: 2 },
            artifact: helloArtifact(),
            healthCheckTimeoutSec: 60,
          },
        ],
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
  // The canary pipeline names its config: the config first.
  const configs = await apiExpect(200, url, 'GET', `/api/v1/applications/${DEMO_APPLICATION}/canary-configs`, { token });
  if (!configs.items.some((c) => c.name === DEMO_CANARY_CONFIG)) {
    await apiExpect([201, 409], url, 'POST', `/api/v1/applications/${DEMO_APPLICATION}/canary-configs`, { token, body: demoCanaryConfig() });
  }
  if (!items.some((p) => p.name === DEMO_CANARY_PIPELINE)) {
    await apiExpect([201, 409], url, 'POST', `/api/v1/applications/${DEMO_APPLICATION}/pipelines`, { token, body: demoCanaryPipelineConfig() });
  }
  return created;
}
