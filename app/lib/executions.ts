import type { z } from 'zod';
import type { ExecutionStatusName, executionDetail, executionSummary, stageView } from '../../contract/executions.ts';

// Types only: importing the contract's values would pull zod into the console bundle.
export type ExecutionStatus = ExecutionStatusName;
export type ExecutionSummary = z.infer<typeof executionSummary>;
export type ExecutionDetail = z.infer<typeof executionDetail>;
export type StageView = z.infer<typeof stageView>;
export type StageError = NonNullable<StageView['error']>;

interface StatusInfo {
  label: string;
  /** Not complete: the engine may still change it. */
  active: boolean;
}

/** Every status with how the console names it; `satisfies` makes a new status fail `tsc` here. */
export const statusInfo = {
  NOT_STARTED: { label: 'Not started', active: true },
  RUNNING: { label: 'Running', active: true },
  PAUSED: { label: 'Paused', active: true },
  SUSPENDED: { label: 'Suspended', active: true },
  SUCCEEDED: { label: 'Succeeded', active: false },
  FAILED_CONTINUE: { label: 'Failed, continued', active: false },
  SKIPPED: { label: 'Skipped', active: false },
  TERMINAL: { label: 'Terminal', active: false },
  CANCELED: { label: 'Canceled', active: false },
  STOPPED: { label: 'Stopped', active: false },
} as const satisfies Record<ExecutionStatus, StatusInfo>;

export const statusLabel = (s: ExecutionStatus): string => statusInfo[s].label;
/** NOT_STARTED, RUNNING, PAUSED or SUSPENDED: the engine may still change it. */
export const isActive = (s: ExecutionStatus): boolean => statusInfo[s].active;

/** The list filter: a name in the URL (`?status=failed`) and the statuses it asks the API for. */
export const statusFilters = {
  all: { label: 'All', statuses: null },
  active: { label: 'Active', statuses: ['NOT_STARTED', 'RUNNING', 'PAUSED', 'SUSPENDED'] },
  succeeded: { label: 'Succeeded', statuses: ['SUCCEEDED'] },
  failed: { label: 'Failed', statuses: ['TERMINAL', 'STOPPED', 'FAILED_CONTINUE'] },
  canceled: { label: 'Canceled', statuses: ['CANCELED'] },
} as const satisfies Record<string, { label: string; statuses: readonly ExecutionStatus[] | null }>;
export type StatusFilter = keyof typeof statusFilters;

/** The filter a `?status=` value names; anything unknown is `all`. */
export function parseStatusFilter(value: string | null): StatusFilter {
  return value && Object.hasOwn(statusFilters, value) ? (value as StatusFilter) : 'all';
}

/** "850ms", "12s", "1m 05s", "2h 03m", "3d 4h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long something ran: start to end, or start to `now` while it runs; an em dash before it starts. */
export function elapsed(startedAt: string | null, endedAt: string | null, now = Date.now()): string {
  if (!startedAt) return '—';
  return formatDuration((endedAt ? Date.parse(endedAt) : now) - Date.parse(startedAt));
}

/** The part of a trigger worth showing: "manual by ana@example.com". */
export function triggerText(trigger: Record<string, unknown>): string {
  const type = typeof trigger.type === 'string' ? trigger.type : 'unknown';
  const user = typeof trigger.user === 'string' ? trigger.user : null;
  return user ? `${type} by ${user}` : type;
}

/** A parameter value as text for lists and the trigger panel. */
export const parameterText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Splits `text` around the `${…}` that holds `expression` (the engine reports the expression
 * without its braces), so the console can highlight it in the field's value. Null when absent.
 */
export function markExpression(text: string, expression: string): { before: string; match: string; after: string } | null {
  const want = expression.trim();
  if (!want) return null;
  for (const m of text.matchAll(/\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
    if (m[1]!.trim() === want) return { before: text.slice(0, m.index), match: m[0], after: text.slice(m.index + m[0].length) };
  }
  const at = text.indexOf(want);
  return at < 0 ? null : { before: text.slice(0, at), match: want, after: text.slice(at + want.length) };
}

/** The value at a dotted/bracketed JSON path (`payload.items[0].url`) inside `root`, or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let cur = root;
  for (const key of path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A pipeline parameter as the start form shows it. */
export interface ParameterField {
  name: string;
  label: string;
  description: string | null;
  default: string;
  required: boolean;
  /** The allowed values; empty means free text. */
  options: string[];
}

/** The start form's fields from a stored pipeline config's `parameterConfig` (skipping malformed entries). */
export function parameterFields(config: Record<string, unknown>): ParameterField[] {
  const list = Array.isArray(config.parameterConfig) ? (config.parameterConfig as unknown[]) : [];
  return list.flatMap((raw): ParameterField[] => {
    if (typeof raw !== 'object' || raw === null) return [];
    const p = raw as Record<string, unknown>;
    if (typeof p.name !== 'string' || !p.name) return [];
    const options = Array.isArray(p.options)
      ? p.options.flatMap((o) => (typeof o === 'object' && o !== null && 'value' in o ? [String(o.value)] : []))
      : [];
    return [{
      name: p.name,
      label: typeof p.label === 'string' && p.label ? p.label : p.name,
      description: typeof p.description === 'string' && p.description ? p.description : null,
      default: p.default === undefined || p.default === null ? '' : String(p.default),
      required: p.required === true,
      options,
    }];
  });
}
