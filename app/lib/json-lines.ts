/**
 * Where things are in a JSON text: the line each value starts on, keyed by its path, and the
 * line and column of the first syntax error. The editor uses it to put an API error's `field`
 * (a JSON path such as `stages[1].requisiteStageRefIds`) on the line that holds it.
 */

export type Segment = string | number;

export type JsonScan =
  | { ok: true; lines: Map<string, number> }
  | { ok: false; line: number; column: number; message: string };

const key = (path: readonly Segment[]) => JSON.stringify(path);

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Scans `text` once; never throws. */
export function scanJson(text: string): JsonScan {
  const lines = new Map<string, number>();
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineAt = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  let pos = 0;
  const fail = (message: string, at = pos): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = (at: number) => (at >= text.length ? 'the end of the text' : text[at] === '"' ? 'a string' : `"${text[at]}"`);
  // A value where a separator belongs is nearly always a forgotten comma.
  const separatorHint = () => (text[pos] !== undefined && /["\[{\w-]/.test(text[pos]!) ? ' (is a comma missing?)' : '');
  const skipSpace = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const expect = (ch: string, what: string) => {
    skipSpace();
    if (text[pos] !== ch) fail(`expected ${what}, found ${describe(pos)}`);
    pos++;
  };

  const string = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length) {
      const ch = text[pos]!;
      if (ch === '"') {
        pos++;
        return JSON.parse(text.slice(start, pos)) as string;
      }
      if (ch === '\\') {
        const next = text[pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad \\u escape in string');
          pos += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) pos += 2;
        else fail(`bad escape "\\${next ?? ''}" in string`);
        continue;
      }
      if (ch === '\n') fail('string is not closed before the end of the line');
      if (ch.charCodeAt(0) < 0x20) fail('control character in string');
      pos++;
    }
    return fail('string is not closed', start);
  };

  const value = (path: Segment[]): void => {
    skipSpace();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') {
          fail(text[pos] === '}' ? 'trailing comma before "}"' : `expected a property name in double quotes, found ${describe(pos)}`);
        }
        const keyAt = pos;
        const name = string();
        const child = [...path, name];
        lines.set(key(child), lineAt(keyAt));
        expect(':', `":" after property "${name}"`);
        value(child);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return;
        }
        fail(`expected "," or "}" after the value of "${name}", found ${describe(pos)}${separatorHint()}`);
      }
    }
    if (ch === '[') {
      pos++;
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (let i = 0; ; i++) {
        skipSpace();
        if (text[pos] === ']') fail('trailing comma before "]"');
        const child = [...path, i];
        lines.set(key(child), lineAt(pos));
        value(child);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return;
        }
        fail(`expected "," or "]" after array item ${i}, found ${describe(pos)}${separatorHint()}`);
      }
    }
    if (ch === '"') {
      string();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 400));
    if (literal) {
      pos += literal[0].length;
      if (pos < text.length && /[\w.]/.test(text[pos]!)) fail(`unexpected ${describe(pos)} after a value`);
      return;
    }
    fail(ch === undefined ? 'unexpected end of text: a value is missing' : `unexpected ${describe(pos)}: expected a value`);
  };

  try {
    lines.set(key([]), 1);
    value([]);
    skipSpace();
    if (pos < text.length) fail(`unexpected ${describe(pos)} after the end of the JSON value`);
    return { ok: true, lines };
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const line = lineAt(err.at);
    return { ok: false, line, column: err.at - lineStarts[line - 1]! + 1, message: err.message };
  }
}

/**
 * Splits a JSON path as the API writes it (`stages[1].requisiteStageRefIds`, `a["odd key"]`)
 * into segments; null when it is not a JSON path (e.g. a header name such as `If-Match`).
 */
export function parsePath(path: string): Segment[] | null {
  const out: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const num = /^\[(\d+)\]/.exec(path.slice(i));
      if (num) {
        out.push(Number(num[1]));
        i += num[0].length;
        continue;
      }
      const str = /^\[("(?:[^"\\]|\\.)*")\]/.exec(path.slice(i));
      if (!str) return null;
      out.push(JSON.parse(str[1]!) as string);
      i += str[0].length;
      continue;
    }
    if (path[i] === '.' && out.length > 0) i++;
    const ident = /^[A-Za-z_$][\w$]*/.exec(path.slice(i));
    if (!ident) return null;
    out.push(ident[0]);
    i += ident[0].length;
  }
  return out;
}

/**
 * The line of `field` in a scanned text. When the path itself is absent (a required field that
 * is missing), the nearest enclosing value's line is used and `exact` is false.
 */
export function lineOfField(lines: Map<string, number>, field: string): { line: number; exact: boolean } | null {
  const path = parsePath(field);
  if (!path || path.length === 0) return null;
  for (let n = path.length; n > 0; n--) {
    const line = lines.get(key(path.slice(0, n)));
    if (line !== undefined) return { line, exact: n === path.length };
  }
  return null;
}
