/**
 * Gennaker's system of record, in D1. Times are epoch milliseconds (`…At` columns), JSON columns
 * hold documents validated by the zod schemas in `contract/` before they are written.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>();
const ms = (name: string) => integer(name);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: text('role', { enum: ['admin', 'member'] }).notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: ms('created_at').notNull(),
  disabledAt: ms('disabled_at'),
});

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    secretHash: text('secret_hash').notNull(),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
  },
  (t) => [index('sessions_user').on(t.userId)],
);

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    /** Scopes granted: read, write, execute, admin. */
    scopes: json<string[]>('scopes').notNull(),
    /** When set, the token works only for these applications. */
    applications: json<string[] | null>('applications'),
    createdBy: text('created_by').notNull(),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    revokedAt: ms('revoked_at'),
    lastUsedAt: ms('last_used_at'),
  },
  (t) => [index('api_tokens_created').on(t.createdAt)],
);

export const applications = sqliteTable(
  'applications',
  {
    name: text('name').primaryKey(),
    email: text('email'),
    description: text('description'),
    trafficGuards: json<unknown[]>('traffic_guards').notNull().default(sql`'[]'`),
    timeZone: text('time_zone').notNull().default('UTC'),
    cloudProviders: json<string[]>('cloud_providers').notNull().default(sql`'[]'`),
    createdBy: text('created_by').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('applications_updated').on(t.updatedAt)],
);

export const pipelines = sqliteTable(
  'pipelines',
  {
    id: text('id').primaryKey(),
    application: text('application').notNull().references(() => applications.name),
    name: text('name').notNull(),
    config: json<Record<string, unknown>>('config').notNull(),
    version: integer('version').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [uniqueIndex('pipelines_app_name').on(t.application, t.name)],
);

/** Append-only: every save of a pipeline adds a row; restore adds a row copying an older config. */
export const pipelineVersions = sqliteTable(
  'pipeline_versions',
  {
    pipelineId: text('pipeline_id').notNull(),
    version: integer('version').notNull(),
    config: json<Record<string, unknown>>('config').notNull(),
    author: text('author').notNull(),
    action: text('action', { enum: ['create', 'update', 'restore'] }).notNull(),
    note: text('note'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.pipelineId, t.version] })],
);

/** Statuses of executions and stages, as in Orca. */
export const executionStatuses = [
  'NOT_STARTED',
  'RUNNING',
  'PAUSED',
  'SUSPENDED',
  'SUCCEEDED',
  'FAILED_CONTINUE',
  'SKIPPED',
  'TERMINAL',
  'CANCELED',
  'STOPPED',
] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

export const executions = sqliteTable(
  'executions',
  {
    id: text('id').primaryKey(),
    application: text('application').notNull(),
    pipelineId: text('pipeline_id'),
    pipelineVersion: integer('pipeline_version'),
    name: text('name').notNull(),
    status: text('status', { enum: executionStatuses }).notNull(),
    /** The pipeline config as it was when the execution started. */
    config: json<Record<string, unknown>>('config').notNull(),
    trigger: json<Record<string, unknown>>('trigger').notNull(),
    parameters: json<Record<string, unknown>>('parameters').notNull().default(sql`'{}'`),
    parentExecutionId: text('parent_execution_id'),
    createdAt: ms('created_at').notNull(),
    startedAt: ms('started_at'),
    endedAt: ms('ended_at'),
    startTimeExpiry: ms('start_time_expiry'),
    canceledBy: text('canceled_by'),
    cancelReason: text('cancel_reason'),
    pausedAt: ms('paused_at'),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    index('executions_app_created').on(t.application, t.createdAt),
    index('executions_pipeline_status').on(t.pipelineId, t.status, t.createdAt),
    index('executions_status').on(t.status),
  ],
);

export const stages = sqliteTable(
  'stages',
  {
    id: text('id').primaryKey(),
    executionId: text('execution_id').notNull().references(() => executions.id, { onDelete: 'cascade' }),
    refId: text('ref_id').notNull(),
    /** Set for synthetic stages an engine adds before or after a stage (e.g. a deploy's disableCluster). */
    parentStageId: text('parent_stage_id'),
    type: text('type').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: executionStatuses }).notNull(),
    requisiteStageRefIds: json<string[]>('requisite_stage_ref_ids').notNull(),
    context: json<Record<string, unknown>>('context').notNull(),
    outputs: json<Record<string, unknown>>('outputs').notNull().default(sql`'{}'`),
    error: json<{ kind: string; message: string; field?: string; expression?: string } | null>('error'),
    /** Engine bookkeeping: paused time, window waits, poll schedule, stage-type private state. */
    meta: json<Record<string, unknown>>('meta').notNull().default(sql`'{}'`),
    startedAt: ms('started_at'),
    endedAt: ms('ended_at'),
    updatedAt: ms('updated_at').notNull(),
  },
  // Synthetic stages get refIds of their own (`2<disable`), so (execution, refId) is unique.
  (t) => [uniqueIndex('stages_execution_ref_id').on(t.executionId, t.refId)],
);

export const taskStatuses = ['QUEUED', 'LEASED', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/** Work for agents: queued for an account, leased by one agent at a time, completed once. */
export const tasks = sqliteTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    executionId: text('execution_id').references(() => executions.id, { onDelete: 'cascade' }),
    stageId: text('stage_id'),
    account: text('account').notNull(),
    operation: text('operation').notNull(),
    payload: json<Record<string, unknown>>('payload').notNull(),
    status: text('status', { enum: taskStatuses }).notNull(),
    attempt: integer('attempt').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ms('lease_expires_at'),
    /** Stable key the agent uses so a re-delivered task never does its work twice. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    result: json<Record<string, unknown> | null>('result'),
    logs: json<string[]>('logs').notNull().default(sql`'[]'`),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    index('tasks_account_status').on(t.account, t.status, t.createdAt),
    index('tasks_lease').on(t.status, t.leaseExpiresAt),
    index('tasks_execution').on(t.executionId),
    // A stage's tasks are canceled by stage id (`cancelTasksOf`).
    index('tasks_stage').on(t.stageId),
  ],
);

export const agents = sqliteTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  secretHash: text('secret_hash').notNull(),
  version: text('version'),
  hostname: text('hostname'),
  createdAt: ms('created_at').notNull(),
  lastSeenAt: ms('last_seen_at'),
  revokedAt: ms('revoked_at'),
});

/** One-time tokens an admin creates so a new agent can register; useless once used or expired. */
export const agentInstallTokens = sqliteTable('agent_install_tokens', {
  id: text('id').primaryKey(),
  secretHash: text('secret_hash').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: ms('created_at').notNull(),
  expiresAt: ms('expires_at').notNull(),
  usedAt: ms('used_at'),
  agentId: text('agent_id'),
});

export const accounts = sqliteTable(
  'accounts',
  {
    name: text('name').primaryKey(),
    provider: text('provider', { enum: ['local', 'kubernetes', 'dcos', 'aws', 'gce', 'azure'] }).notNull(),
    agentId: text('agent_id').references(() => agents.id),
    locations: json<string[]>('locations').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('accounts_agent').on(t.agentId)],
);

export const serverGroups = sqliteTable(
  'server_groups',
  {
    id: text('id').primaryKey(),
    account: text('account').notNull(),
    location: text('location').notNull(),
    name: text('name').notNull(),
    application: text('application').notNull(),
    cluster: text('cluster').notNull(),
    stack: text('stack').notNull().default(''),
    detail: text('detail').notNull().default(''),
    sequence: integer('sequence'),
    disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
    capacity: json<{ min: number; max: number; desired: number }>('capacity').notNull(),
    artifact: json<Record<string, unknown> | null>('artifact'),
    loadBalancers: json<string[]>('load_balancers').notNull().default(sql`'[]'`),
    createdAt: ms('created_at').notNull(),
    reportedAt: ms('reported_at').notNull(),
  },
  (t) => [
    uniqueIndex('server_groups_identity').on(t.account, t.location, t.name),
    index('server_groups_app_cluster').on(t.application, t.cluster),
  ],
);

/** Load balancers as agents report them: where clients reach a cluster. */
export const loadBalancers = sqliteTable(
  'load_balancers',
  {
    account: text('account').notNull(),
    location: text('location').notNull(),
    name: text('name').notNull(),
    address: text('address'),
    serverGroups: json<string[]>('server_groups').notNull().default(sql`'[]'`),
    reportedAt: ms('reported_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.account, t.location, t.name] })],
);

export const instanceHealth = ['Up', 'Down', 'OutOfService', 'Starting', 'Unknown', 'Draining'] as const;

export const instances = sqliteTable(
  'instances',
  {
    id: text('id').primaryKey(),
    serverGroupId: text('server_group_id').notNull().references(() => serverGroups.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    health: text('health', { enum: instanceHealth }).notNull(),
    address: text('address'),
    launchedAt: ms('launched_at'),
    reportedAt: ms('reported_at').notNull(),
  },
  (t) => [index('instances_server_group').on(t.serverGroupId)],
);

export const canaryConfigs = sqliteTable(
  'canary_configs',
  {
    id: text('id').primaryKey(),
    application: text('application').notNull(),
    name: text('name').notNull(),
    config: json<Record<string, unknown>>('config').notNull(),
    version: integer('version').notNull(),
    updatedBy: text('updated_by').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [uniqueIndex('canary_configs_app_name').on(t.application, t.name)],
);

/** Append-only: every save of a canary config adds a row; restore adds a row copying an older config. */
export const canaryConfigVersions = sqliteTable(
  'canary_config_versions',
  {
    configId: text('config_id').notNull(),
    version: integer('version').notNull(),
    config: json<Record<string, unknown>>('config').notNull(),
    author: text('author').notNull(),
    action: text('action', { enum: ['create', 'update', 'restore'] }).notNull(),
    note: text('note'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.configId, t.version] })],
);

export const canaryRunStatuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;

/**
 * One canary analysis run (a canary stage run): summary columns for lists, the config as judged.
 * Its intervals are rows of `canary_intervals`, so no row carries more than one interval's series.
 */
export const canaryRuns = sqliteTable(
  'canary_runs',
  {
    id: text('id').primaryKey(),
    executionId: text('execution_id'),
    stageId: text('stage_id'),
    stageName: text('stage_name'),
    application: text('application').notNull(),
    configName: text('config_name').notNull(),
    configVersion: integer('config_version'),
    /** The canary config as it was judged with. */
    config: json<Record<string, unknown>>('config').notNull(),
    status: text('status', { enum: canaryRunStatuses }).notNull(),
    /** The last judged interval's score, null before the first. */
    score: real('score'),
    result: text('result', { enum: ['Pass', 'Marginal', 'Fail'] }),
    thresholds: json<{ pass: number; marginal: number }>('thresholds').notNull(),
    /** Baseline and canary scopes: `{serverGroup, account, location, version}`. */
    control: json<Record<string, unknown>>('control').notNull(),
    experiment: json<Record<string, unknown>>('experiment').notNull(),
    metricsSource: text('metrics_source', { enum: ['prometheus', 'builtin'] }).notNull(),
    plannedIntervals: integer('planned_intervals').notNull(),
    completedIntervals: integer('completed_intervals').notNull().default(0),
    reason: text('reason'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('canary_runs_execution').on(t.executionId), index('canary_runs_app_created').on(t.application, t.createdAt, t.id)],
);

/** One analysis interval of a canary run: the judge's answer and the series it judged. */
export const canaryIntervals = sqliteTable(
  'canary_intervals',
  {
    runId: text('run_id').notNull().references(() => canaryRuns.id, { onDelete: 'cascade' }),
    index: integer('index').notNull(),
    experimentStartMs: ms('experiment_start_ms').notNull(),
    experimentEndMs: ms('experiment_end_ms').notNull(),
    controlStartMs: ms('control_start_ms').notNull(),
    controlEndMs: ms('control_end_ms').notNull(),
    judgedAt: ms('judged_at').notNull(),
    score: real('score').notNull(),
    result: text('result', { enum: ['Pass', 'Marginal', 'Fail'] }).notNull(),
    judge: json<Record<string, unknown>>('judge').notNull(),
    series: json<Record<string, unknown>>('series').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.index] })],
);

/** Who did what, when: one row for every write, in the same batch as the write. */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    at: ms('at').notNull(),
    actorType: text('actor_type', { enum: ['user', 'token', 'agent', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id').notNull(),
    application: text('application'),
    details: json<Record<string, unknown>>('details').notNull().default(sql`'{}'`),
    requestId: text('request_id'),
  },
  (t) => [index('audit_at').on(t.at), index('audit_app_at').on(t.application, t.at)],
);
