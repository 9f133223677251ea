import { api, call } from './api.ts';

/** A JSON Schema as `/stage-types` describes stage fields; only what the console reads. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface StageTypeInfo {
  type: string;
  label: string;
  description: string;
  runsOn: 'edge' | 'agent';
  schema: JsonSchema;
}

let cached: Promise<StageTypeInfo[]> | undefined;

/** The stage catalogue; fetched once per page load since it only changes with a deploy of the edge. */
export function loadStageTypes(): Promise<StageTypeInfo[]> {
  cached ??= call(api['stage-types'].$get())
    .then((r) => r.items as unknown as StageTypeInfo[])
    .catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
  return cached;
}

const base = new Set(['refId', 'requisiteStageRefIds', 'type', 'name']);

/** A value that satisfies the shape of `schema` as far as the editor can guess: the user fills it in. */
export function placeholder(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (options?.length) return placeholder(options[0]!);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
    case 'boolean':
      return false;
    case 'array':
      return schema.minItems && schema.items ? [placeholder(schema.items)] : [];
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k) => [k, placeholder(schema.properties?.[k] ?? {})]));
    default:
      return null;
  }
}

/**
 * A new stage of `type` appended after the last one: the next numeric refId, the last stage as
 * its requisite (Spinnaker's "add stage" does the same) and the type's required fields blank.
 */
export function newStage(type: StageTypeInfo, stages: readonly { refId?: unknown }[]): Record<string, unknown> {
  const numbers = stages.map((s) => Number(s.refId)).filter(Number.isInteger);
  const refId = String(numbers.length ? Math.max(...numbers) + 1 : stages.length + 1);
  const last = stages.at(-1)?.refId;
  const stage: Record<string, unknown> = {
    refId,
    requisiteStageRefIds: typeof last === 'string' ? [last] : [],
    type: type.type,
    name: type.label,
  };
  for (const key of type.schema.required ?? []) {
    if (!base.has(key)) stage[key] = placeholder(type.schema.properties?.[key] ?? {});
  }
  return stage;
}
