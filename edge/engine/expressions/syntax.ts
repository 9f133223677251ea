/**
 * The text around expressions: finding `${…}` in a string, and rewriting Spinnaker's SpEL habit of
 * `#stage('x')` into plain CEL. Both must step over string literals, so a `}` or `#` inside quotes
 * is never taken for syntax.
 */

/** A piece of a template string: literal text, or the source of one `${…}` without its braces. */
export type Segment = { text: string } | { expression: string };

export type SplitResult = { ok: true; segments: Segment[] } | { ok: false; expression: string; reason: string };

const identChar = /[A-Za-z0-9_]/;

/** True when the quote at `i` opens a raw string (`r"…"`, `R'…'`, `rb"…"`, `br"…"`): backslashes are plain. */
function isRaw(s: string, i: number): boolean {
  let k = i;
  while (k > 0 && i - k < 2 && /[rRbB]/.test(s[k - 1]!)) k--;
  // The prefix must stand alone: in `attr"…"` the `r` ends an identifier.
  if (k > 0 && identChar.test(s[k - 1]!)) return false;
  return /[rR]/.test(s.slice(k, i));
}

/** Index just past the string literal whose opening quote is at `i`, or -1 if it never closes. */
export function skipString(s: string, i: number): number {
  const quote = s[i]!;
  const close = s.startsWith(quote.repeat(3), i) ? quote.repeat(3) : quote;
  const raw = isRaw(s, i);
  let j = i + close.length;
  while (j < s.length) {
    if (s.startsWith(close, j)) return j + close.length;
    j += s[j] === '\\' && !raw ? 2 : 1;
  }
  return -1;
}

/** Index of the `}` closing an expression that starts at `from`, or -1. Map literals nest braces. */
function findClose(s: string, from: number): number {
  let depth = 0;
  let j = from;
  while (j < s.length) {
    const c = s[j];
    if (c === '"' || c === "'") {
      j = skipString(s, j);
      if (j < 0) return -1;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return j;
      depth--;
    }
    j++;
  }
  return -1;
}

/**
 * Splits a string into text and `${…}` expressions. `$${` is an escaped, literal `${` (so shell
 * scripts in a stage can keep `$${HOME}`).
 */
export function splitTemplate(s: string): SplitResult {
  const segments: Segment[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    const dollar = s.indexOf('$', i);
    if (dollar < 0) {
      text += s.slice(i);
      break;
    }
    text += s.slice(i, dollar);
    if (s.startsWith('$${', dollar)) {
      text += '${';
      i = dollar + 3;
    } else if (s.startsWith('${', dollar)) {
      const end = findClose(s, dollar + 2);
      if (end < 0) return { ok: false, expression: s.slice(dollar + 2).trim(), reason: 'unterminated "${": no closing "}"' };
      if (text) segments.push({ text });
      text = '';
      segments.push({ expression: s.slice(dollar + 2, end) });
      i = end + 1;
    } else {
      text += '$';
      i = dollar + 1;
    }
  }
  if (text) segments.push({ text });
  return { ok: true, segments };
}

/** An expression with SpEL's `#` removed, and where each `#` was (in positions of the new text). */
export interface Source {
  original: string;
  text: string;
  removed: number[];
}

/**
 * Drops a `#` that stands before a function call (`#stage('x')` → `stage('x')`), outside string
 * literals: users paste Spinnaker expressions. Any other `#` is left for the parser to reject.
 */
export function stripSpelHashes(expression: string): Source {
  let text = '';
  const removed: number[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (c === '"' || c === "'") {
      const end = skipString(expression, i);
      const stop = end < 0 ? expression.length : end;
      text += expression.slice(i, stop);
      i = stop;
    } else if (c === '#' && /^#[A-Za-z_]\w*\s*\(/.test(expression.slice(i, i + 200)) && !identChar.test(expression[i - 1] ?? '')) {
      removed.push(text.length);
      i++;
    } else {
      text += c;
      i++;
    }
  }
  return { original: expression, text, removed };
}

/** The 1-based column in the expression as written of a position in the stripped text. */
export function originalColumn(source: Source, pos: number): number {
  return pos + source.removed.filter((r) => r <= pos).length + 1;
}
