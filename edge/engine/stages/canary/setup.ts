/**
 * What a canary stage works out before it deploys anything: its settings (parsed by the stage's
 * schema), the canary config and thresholds, the baseline's artifact and production's load
 * balancers from inventory, and the two server groups to create. Every mistake in the user's
 * config is a user error naming its field.
 */
import { canaryConfig } from '../../../../contract/canary.ts';
import { firstIssue } from '../../../../contract/errors.ts';
import { artifactSpec, operations, type Artifact, type OperationPayload } from '../../../../contract/operations.ts';
import { canarySettings, type CanarySettings } from '../../../../contract/stages/canary.ts';
import { clusterName, nextSequence, parseServerGroupName, serverGroupName } from '../../../clusters/naming.ts';
import { UserError, type StageRuntime } from '../../types.ts';
import type { CanaryConfigValue, Thresholds } from './analysis.ts';
import { intervalCount } from './schedule.ts';

export type { CanarySettings };

export type Role = 'baseline' | 'canary';

/** A group the canary creates, and destroys at the end. */
export interface CanaryGroup {
  role: Role;
  name: string;
  version: string | null;
  create: OperationPayload<'createServerGroup'>;
}

export interface CanarySetup {
  settings: CanarySettings;
  config: CanaryConfigValue;
  configVersion: number;
  thresholds: Thresholds;
  plannedIntervals: number;
  baseline: CanaryGroup;
  canary: CanaryGroup;
}

/** The stage's context parsed by its schema, defaults filled in. */
export function parseSettings(context: Record<string, unknown>): CanarySettings {
  const parsed = canarySettings.safeParse(context);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new UserError(issue.message, issue.field);
  }
  return parsed.data;
}

/** Every metric needs a query the chosen source can run (Kayenta binds a config to one metrics store). */
export function checkQueries(config: CanaryConfigValue, settings: CanarySettings): void {
  const source = settings.metricsSource.type;
  for (const [i, m] of config.metrics.entries()) {
    if (m.query?.type === source) continue;
    const has = m.query ? `a ${m.query.type} query` : 'no query';
    throw new UserError(
      `canary config "${settings.canaryConfigName}" metrics[${i}].query: metric "${m.name}" has ${has}, but this stage reads metrics from the ${source} source`,
      'canaryConfigName',
    );
  }
}

async function loadConfig(rt: StageRuntime, s: CanarySettings): Promise<{ config: CanaryConfigValue; version: number }> {
  if (!rt.canary) throw new Error('the engine gave the canary stage no canary port');
  const stored = await rt.canary.loadConfig(rt.execution.application, s.canaryConfigName, s.canaryConfigVersion);
  if (!stored) {
    const which = s.canaryConfigVersion === undefined ? '' : ` at version ${s.canaryConfigVersion}`;
    const field = s.canaryConfigVersion === undefined ? 'canaryConfigName' : 'canaryConfigVersion';
    throw new UserError(`application "${rt.execution.application}" has no canary config "${s.canaryConfigName}"${which}`, field);
  }
  const parsed = canaryConfig.safeParse(stored.config);
  if (!parsed.success) throw new UserError(`canary config "${s.canaryConfigName}" is no longer valid: ${firstIssue(parsed.error).message}`, 'canaryConfigName');
  return { config: parsed.data, version: stored.version };
}

/** Production's newest enabled group: its artifact is the baseline's default, its load balancers take the canary's traffic. */
async function production(rt: StageRuntime, s: CanarySettings): Promise<{ artifact: Artifact | null; loadBalancers: string[] }> {
  const groups = await rt.inventory.cluster(s.account, s.location, s.cluster);
  const serving = groups.find((g) => !g.disabled);
  const artifact = artifactSpec.safeParse(serving?.artifact);
  // A group made without load balancers joins its own cluster's (the local provider's rule), so
  // production's is named after the production cluster; the canary groups live in clusters of
  // their own and must name production's explicitly to share its traffic.
  return { artifact: artifact.success ? artifact.data : null, loadBalancers: serving?.loadBalancers?.length ? serving.loadBalancers : [s.cluster] };
}

/** `detail-baseline` / `detail-canary`, or `baseline` / `canary` when production has no detail (Spinnaker's convention). */
export const detailFor = (detail: string, role: Role) => (detail ? `${detail}-${role}` : role);

async function group(rt: StageRuntime, s: CanarySettings, role: Role, artifact: Artifact, loadBalancers: string[]): Promise<CanaryGroup> {
  const prod = parseServerGroupName(s.cluster);
  if (!prod || prod.sequence !== null) throw new UserError(`cluster "${s.cluster}" is not a cluster name (app, app-stack or app-stack-detail)`, 'cluster');
  const detail = detailFor(prod.detail, role);
  const cluster = clusterName({ app: prod.app, stack: prod.stack, detail });
  let sequence: number;
  try {
    sequence = nextSequence(await rt.inventory.cluster(s.account, s.location, cluster));
  } catch (err) {
    throw new UserError((err as Error).message, 'cluster');
  }
  const name = serverGroupName({ app: prod.app, stack: prod.stack, detail }, sequence);
  const payload = {
    account: s.account,
    location: s.location,
    serverGroupName: name,
    moniker: { app: prod.app, stack: prod.stack, detail, cluster, sequence },
    capacity: { min: s.instances, max: s.instances, desired: s.instances },
    artifact,
    loadBalancers,
    enabled: true,
    healthCheck: { path: s.healthCheckPath ?? '/health', timeoutSec: s.healthCheckTimeoutSec ?? 120 },
    // The agent scrapes the group's instances itself only for the builtin source.
    ...(s.metricsSource.type === 'builtin' ? { metrics: { path: '/metrics', stepSec: s.stepSec } } : {}),
  };
  const valid = operations.createServerGroup.safeParse(payload);
  if (!valid.success) {
    // Settings were checked by the stage's schema; what is left is the artifact production runs.
    const issue = firstIssue(valid.error);
    throw new UserError(`${role} server group: ${issue.message}`, role === 'baseline' ? 'baselineArtifact' : 'artifact');
  }
  return { role, name, version: artifact.version ?? null, create: valid.data };
}

/** Works out everything the canary needs before it starts; throws a UserError naming the field at fault. */
export async function setUp(rt: StageRuntime): Promise<CanarySetup> {
  const settings = parseSettings(rt.stage.context);
  const { config, version } = await loadConfig(rt, settings);
  checkQueries(config, settings);
  const prod = await production(rt, settings);
  const baselineArtifact = settings.baselineArtifact ?? prod.artifact;
  if (!baselineArtifact) {
    throw new UserError(
      `cluster "${settings.cluster}" has no enabled server group with an artifact in ${settings.account}/${settings.location} to take the baseline from; set baselineArtifact`,
      'baselineArtifact',
    );
  }
  return {
    settings,
    config,
    configVersion: version,
    thresholds: settings.scoreThresholds ?? config.classifier.scoreThresholds,
    plannedIntervals: intervalCount(settings),
    baseline: await group(rt, settings, 'baseline', baselineArtifact, prod.loadBalancers),
    canary: await group(rt, settings, 'canary', settings.artifact, prod.loadBalancers),
  };
}
