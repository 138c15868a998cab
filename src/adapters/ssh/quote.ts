/**
 * POSIX shell quoting. SSH has no argument vector: the server hands one string to the remote
 * user's shell (`$SHELL -c STRING`). So every argument is single-quoted, always, and a single
 * quote inside becomes '\'' (close, escaped quote, reopen). Inside single quotes nothing is special
 * to sh, bash, ash or zsh: not $, `, \, ;, |, >, newlines or spaces.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain NUL');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line for an argument vector: each element quoted, joined by spaces. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shellQuote).join(' ');
}
