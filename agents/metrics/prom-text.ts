/**
 * The Prometheus text exposition format (0.0.4), parsed into flat samples.
 *
 * Written here rather than taken from npm: the one small parser there (`parse-prometheus-text-format`)
 * returns prom2json-shaped families with string values and histograms folded into objects, which
 * the scraper would have to flatten again on every scrape; the format needs ~100 lines.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  /** May be NaN or ±Infinity, as the format allows. */
  value: number;
  /** The exporter's own timestamp (ms), rarely given; null when absent. */
  timestampMs: number | null;
}

/** A line that is not the text format; the scrape it came from is refused whole, as Prometheus does. */
export class PromTextError extends Error {}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Decides which samples to keep, knowing the type its family declared (`# TYPE`), if any. */
export type SampleFilter = (sample: PromSample, familyType: string | undefined) => boolean;

/**
 * Parses a whole exposition; comments and blank lines are skipped, `# TYPE` lines only inform
 * `keep` (every sample is kept without one).
 */
export function parsePromText(text: string, keep?: SampleFilter): PromSample[] {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const start = skipSpace(line, 0);
    if (start === line.length) continue;
    if (line[start] === '#') {
      const type = TYPE_LINE.exec(line.slice(start));
      if (type) types.set(type[1]!, type[2]!.toLowerCase());
      continue;
    }
    let sample: PromSample;
    try {
      sample = parseSample(line, start);
    } catch (err) {
      throw new PromTextError(`line ${i + 1}: ${(err as Error).message}: ${JSON.stringify(line.slice(0, 200))}`);
    }
    if (!keep || keep(sample, familyTypeOf(sample.name, types))) samples.push(sample);
  }
  return samples;
}

const TYPE_LINE = /^#[ \t]+TYPE[ \t]+(\S+)[ \t]+(\S+)/;

/** A histogram's `x_bucket`, `x_sum`, `x_count` (or a summary's), and OpenMetrics' `x_total`, `x_created`, `x_info`, belong to the family `x`. */
function familyTypeOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  const own = types.get(name);
  if (own !== undefined) return own;
  const family = /^(.*)_(?:bucket|sum|count|total|created|info)$/.exec(name)?.[1];
  return family === undefined ? undefined : types.get(family);
}

/** `+Inf`, `-Inf`, `NaN` (any case, as Go's ParseFloat) or a decimal float. */
export function parsePromValue(raw: string): number {
  if (/^[+-]?inf(?:inity)?$/i.test(raw)) return raw.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  if (!FLOAT.test(raw)) throw new Error(`"${raw}" is not a number`);
  return Number(raw);
}

function parseSample(line: string, from: number): PromSample {
  let i = from;
  if (!NAME_START.test(line[i] ?? '')) throw new Error('expected a metric name');
  while (i < line.length && NAME_CHAR.test(line[i]!)) i++;
  const name = line.slice(from, i);
  i = skipSpace(line, i);
  const labels: Record<string, string> = {};
  if (line[i] === '{') i = parseLabels(line, i + 1, labels);
  i = skipSpace(line, i);
  const rest = line.slice(i).trim().split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '') throw new Error('expected a value');
  if (rest.length > 2) throw new Error('unexpected text after the timestamp');
  const value = parsePromValue(rest[0]!);
  let timestampMs: number | null = null;
  if (rest.length === 2) {
    if (!/^-?\d+$/.test(rest[1]!)) throw new Error(`timestamp "${rest[1]}" is not an integer`);
    timestampMs = Number(rest[1]);
  }
  return { name, labels, value, timestampMs };
}

/** Reads `name="value",…}` from just after the `{`; returns the index after the `}`. */
function parseLabels(line: string, from: number, into: Record<string, string>): number {
  let i = from;
  for (;;) {
    i = skipSpace(line, i);
    if (line[i] === '}') return i + 1;
    const nameStart = i;
    if (!LABEL_START.test(line[i] ?? '')) throw new Error('expected a label name');
    while (i < line.length && LABEL_CHAR.test(line[i]!)) i++;
    const label = line.slice(nameStart, i);
    i = skipSpace(line, i);
    if (line[i] !== '=') throw new Error(`expected = after label ${label}`);
    i = skipSpace(line, i + 1);
    if (line[i] !== '"') throw new Error(`expected a quoted value for label ${label}`);
    let value = '';
    for (i++; ; i++) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated value for label ${label}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[++i];
        // The format escapes only these three; anything else keeps its backslash (as Prometheus' parser does).
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else if (next === undefined) throw new Error(`unterminated value for label ${label}`);
        else value += `\\${next}`;
      } else value += c;
    }
    if (Object.hasOwn(into, label)) throw new Error(`label ${label} is given twice`);
    into[label] = value;
    i = skipSpace(line, i + 1);
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error('expected , or } after a label');
  }
}

function skipSpace(line: string, i: number): number {
  while (line[i] === ' ' || line[i] === '\t') i++;
  return i;
}
