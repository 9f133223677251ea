import { api, apiExpect } from './http.mjs';

export const DEMO_APPLICATION = 'demo';
export const DEMO_PIPELINE = 'Deploy to staging';

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
  return created;
}
