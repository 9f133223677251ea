/**
 * Just enough POSIX shell for the install commands: quoting a word, and reading a command line
 * back into words, so tests can check what a pasted command would pass to the agent.
 */

const SAFE = /^[\w@%+=:,./~-]+$/;

/** A word for a POSIX shell: as is when it needs no quoting, else single-quoted. */
export function shellWord(word: string): string {
  return SAFE.test(word) && !word.startsWith('~') ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Splits a command line into words the way a POSIX shell does for what these commands use:
 * single quotes, backslash escapes and backslash-newline continuations. `~` is left as is, and an
 * operator such as `&&` comes back as a word of its own when spaces surround it.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      if (line[i + 1] !== '\n') word = (word ?? '') + (line[i + 1] ?? '');
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + ch;
  }
  if (word !== null) words.push(word);
  return words;
}
