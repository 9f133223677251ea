import { diffLines } from 'diff';

export type DiffRow =
  | { kind: 'same' | 'add' | 'del'; oldNo: number | null; newNo: number | null; text: string }
  | { kind: 'skip'; count: number };

export interface LineDiff {
  rows: DiffRow[];
  added: number;
  removed: number;
}

/**
 * A unified line diff of two texts, numbered on both sides, with unchanged runs longer than
 * `context` lines around a change folded into one `skip` row.
 */
export function diffRows(before: string, after: string, context = 3): LineDiff {
  const full: Exclude<DiffRow, { kind: 'skip' }>[] = [];
  let oldNo = 1;
  let newNo = 1;
  let added = 0;
  let removed = 0;
  // A missing final newline would make the last line differ from itself followed by more lines.
  const withEol = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  for (const change of diffLines(withEol(before), withEol(after))) {
    const lines = change.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (change.added) {
        full.push({ kind: 'add', oldNo: null, newNo: newNo++, text });
        added++;
      } else if (change.removed) {
        full.push({ kind: 'del', oldNo: oldNo++, newNo: null, text });
        removed++;
      } else full.push({ kind: 'same', oldNo: oldNo++, newNo: newNo++, text });
    }
  }

  // Keep a line when a change lies within `context` lines of it, on either side.
  const keep = full.map(() => false);
  full.forEach((row, i) => {
    if (row.kind === 'same') return;
    for (let j = Math.max(0, i - context); j <= Math.min(full.length - 1, i + context); j++) keep[j] = true;
  });
  const rows: DiffRow[] = [];
  let skipped = 0;
  full.forEach((row, i) => {
    if (keep[i]) {
      if (skipped) rows.push({ kind: 'skip', count: skipped });
      skipped = 0;
      rows.push(row);
    } else skipped++;
  });
  if (skipped && rows.length) rows.push({ kind: 'skip', count: skipped });
  return { rows, added, removed };
}
