/** Resolves a start request's parameters against the pipeline's parameterConfig. */
export interface ParameterConfig {
  name: string;
  default?: string;
  required?: boolean;
  options?: { value: string }[];
}

export type Resolved = { ok: true; parameters: Record<string, unknown> } | { ok: false; field: string; message: string };

/** Defaults fill gaps; a missing required parameter or a value outside its options is refused by name. */
export function resolveParameters(config: readonly ParameterConfig[], given: Record<string, unknown>): Resolved {
  const out: Record<string, unknown> = { ...given };
  for (const p of config) {
    const value = given[p.name] ?? (p.default !== undefined && p.default !== '' ? p.default : undefined);
    if (value === undefined || value === '') {
      if (p.required) return { ok: false, field: `parameters.${p.name}`, message: `parameters.${p.name}: required parameter "${p.name}" is missing` };
      continue;
    }
    const options = (p.options ?? []).map((o) => o.value);
    if (options.length > 0 && !options.includes(String(value))) {
      return { ok: false, field: `parameters.${p.name}`, message: `parameters.${p.name}: "${String(value)}" is not one of ${options.map((o) => `"${o}"`).join(', ')}` };
    }
    out[p.name] = value;
  }
  return { ok: true, parameters: out };
}
