/**
 * The pipeline-level sections of the form editor (general, parameters, triggers, notifications,
 * concurrency) as a JSON Schema drawn by the same widgets as stage fields. The zod schema in
 * contract/pipelines.ts is the source: the console does not ship zod, so this mirrors it, and
 * the `satisfies` clauses below fail `svelte-check` when a key or enum value drifts from it.
 */
import type { z } from 'zod';
import type { notification, parameterConfig, trigger } from '../../../contract/pipelines.ts';
import type { JsonSchema } from '../stage-types.ts';
import { fieldsOf, type FieldSpec } from './widgets.ts';

type Parameter = z.input<typeof parameterConfig>;
type Trigger = z.input<typeof trigger>;
type Notification = z.input<typeof notification>;
type Each<T> = { [K in keyof T]-?: JsonSchema };
/** True only when `List` names every member of `All`: an enum copied from the contract stays complete. */
type Covers<All, List extends readonly unknown[]> = [Exclude<All, List[number]>] extends [never] ? true : false;

const text = (maxLength: number, description?: string): JsonSchema => ({ type: 'string', maxLength, ...(description ? { description } : {}) });
const flag = (description?: string, fallback = false): JsonSchema => ({ type: 'boolean', default: fallback, ...(description ? { description } : {}) });
const tag = (type: string): JsonSchema => ({ type: 'string', const: type });

const parameter = {
  name: { ...text(100, 'Used in expressions as ${parameters.name}: letters, digits, _ . -'), minLength: 1 },
  label: text(200, 'Shown instead of the name when starting a run'),
  description: text(5000),
  default: { ...text(10_000), format: 'line' },
  required: flag('A run cannot start without a value'),
  hasOptions: flag('Restrict the value to the options below, when there are any', true),
  options: { type: 'array', items: { type: 'object', properties: { value: text(1000) }, required: ['value'] }, description: 'One option per line' },
  pinned: flag('Shown even when the run form is collapsed'),
} satisfies Each<Parameter>;

const base = { type: tag(''), enabled: flag(undefined, true), id: text(100) };
const triggerVariants = {
  manual: base,
  api: base,
  cron: { ...base, cronExpression: text(200, 'When to run, as a cron expression'), timeZone: text(64, 'An IANA zone such as Europe/Berlin; UTC when empty') },
  webhook: {
    ...base,
    source: text(100, 'The name of the webhook that runs this pipeline'),
    payloadConstraints: { type: 'object', additionalProperties: { type: 'string' }, description: 'Payload keys and the values they must have' },
  },
  pipeline: {
    ...base,
    application: text(64),
    pipeline: text(100, 'The name of the pipeline whose runs trigger this one'),
    status: { type: 'array', items: { type: 'string', enum: ['successful', 'failed', 'canceled'] } },
  },
} satisfies { [T in Trigger['type']]: Each<Extract<Trigger, { type: T }>> };
const triggerTypes = Object.keys(triggerVariants) as (keyof typeof triggerVariants)[];
const requiredOf: Record<string, string[]> = { cron: ['cronExpression'], webhook: ['source'], pipeline: ['application', 'pipeline', 'status'] };

const notificationTypes = ['slack', 'email', 'webhook', 'teams', 'pagerduty', 'githubStatus'] as const satisfies readonly Notification['type'][];
const notificationEvents = [
  'pipeline.starting',
  'pipeline.complete',
  'pipeline.failed',
  'stage.starting',
  'stage.complete',
  'stage.failed',
  'manualJudgment',
  'manualJudgmentContinue',
  'manualJudgmentStop',
] as const satisfies readonly Notification['when'][number][];
const complete: [Covers<Notification['type'], typeof notificationTypes>, Covers<Notification['when'][number], typeof notificationEvents>] = [true, true];
void complete;

const notificationSchema = {
  type: { type: 'string', enum: [...notificationTypes] },
  address: { ...text(1000, 'A channel, an email address or a URL, by type'), minLength: 1 },
  when: { type: 'array', items: { type: 'string', enum: [...notificationEvents] } },
  message: { type: 'object', additionalProperties: { type: 'object' }, description: 'Custom text per event: {"pipeline.failed": {"text": "…"}}' },
} satisfies Each<Notification>;

/** The pipeline config's editable keys, in the form's order. */
export const pipelineSchema: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: text(5000),
    disabled: flag('A disabled pipeline cannot be started'),
    parameterConfig: { type: 'array', items: { type: 'object', properties: parameter, required: ['name'] } },
    triggers: {
      type: 'array',
      items: {
        oneOf: triggerTypes.map((t) => ({
          type: 'object',
          properties: { ...triggerVariants[t], type: tag(t) },
          required: ['type', ...(requiredOf[t] ?? [])],
        })),
      },
    },
    notifications: { type: 'array', items: { type: 'object', properties: notificationSchema, required: ['type', 'address', 'when'] } },
    limitConcurrent: flag('Run one execution at a time; later ones wait', true),
    maxConcurrentExecutions: { type: 'integer', minimum: 0, maximum: 1000, description: 'With concurrent runs allowed: at most this many at once (0: no limit)' },
    keepWaitingPipelines: flag('Start waiting runs oldest first instead of only the newest, canceling the rest'),
  },
};

/** The form's pipeline sections, each a heading and its fields. */
export const pipelineSections: { id: string; title: string; fields: FieldSpec[] }[] = (() => {
  // "Parameter config" is the JSON key; Spinnaker's editor calls the section "Parameters".
  const fields = fieldsOf(pipelineSchema).map((f) => (f.key === 'parameterConfig' ? { ...f, label: 'Parameters' } : f));
  const pick = (...keys: string[]) => fields.filter((f) => keys.includes(f.key));
  return [
    { id: 'general', title: 'General', fields: pick('name', 'description', 'disabled') },
    { id: 'parameters', title: 'Parameters', fields: pick('parameterConfig') },
    { id: 'triggers', title: 'Triggers', fields: pick('triggers') },
    { id: 'notifications', title: 'Notifications', fields: pick('notifications') },
    { id: 'concurrency', title: 'Concurrency', fields: pick('limitConcurrent', 'maxConcurrentExecutions', 'keepWaitingPipelines') },
  ];
})();

/** Every pipeline-level field the sections draw, for locating errors. */
export const pipelineFields: FieldSpec[] = pipelineSections.flatMap((s) => s.fields);
