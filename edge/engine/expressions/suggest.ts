/** "Did you mean" for misspelt names: variables, functions, map keys, stage names. */

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The candidate closest to `name` when it is close enough to be a typo, else undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // One slip per three letters; a one- or two-letter name ("9" for refId "1") only by case.
  const allowed = name.length <= 2 ? 0 : Math.max(1, Math.floor(name.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)`, else ` (noun: a, b, c)` (unless `noun` is null), else nothing. */
export function hint(name: string, candidates: readonly string[], noun: string | null = 'known'): string {
  const guess = closest(name, candidates);
  if (guess !== undefined) return ` (did you mean "${guess}"?)`;
  if (candidates.length === 0 || noun === null) return '';
  if (candidates.length > 12) return ` (${noun}: ${candidates.slice(0, 12).join(', ')}, …)`;
  return ` (${noun}: ${candidates.join(', ')})`;
}
