/** Splits a command line the way a POSIX shell does for bare and single-quoted words (what fix commands use). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      current = (current ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === ' ') {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else if (ch === '\\') {
      current = (current ?? '') + (line[++i] ?? '');
    } else if (/["$`;&|<>()*?[\]#~]/.test(ch)) {
      throw new Error(`a character the shell would interpret (${ch}) is not quoted in: ${line}`);
    } else {
      current = (current ?? '') + ch;
    }
  }
  if (current !== undefined) words.push(current);
  return words;
}
