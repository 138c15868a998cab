/**
 * `nas touch` on the NAS in ONE remote command that resolves and acts, so nothing can be swapped
 * between a check and the touch:
 *
 * 1. `cd -P` into the parent folder, every symbolic link followed. From then on the file is named
 *    relative to that working directory (an open handle on the folder, not a path), so a folder
 *    swapped for a link above it afterwards cannot redirect the touch.
 * 2. `pwd -P` is where that folder really is; each configured root is resolved the same way, and the
 *    folder must be a root or lie inside one (whole segments: /volume1/media does not admit
 *    /volume1/media-evil).
 * 3. The last component must not be a symbolic link (`test -L`), even a dangling one.
 * 4. With mode `plan` it stops here and says what it would do (`exists`: touch it; `absent`: create
 *    it): the same resolution and refusals, and nothing changed. Otherwise:
 *    an existing file or folder is touched with `touch -c -m -h`: -h (no-dereference, utimensat with
 *    AT_SYMLINK_NOFOLLOW) touches a link planted after step 3 itself, never what it points to; -c
 *    never creates. A missing one is created only when asked, with the shell's noclobber (`set -C`):
 *    a name that is not there is opened O_CREAT|O_EXCL, which fails on a link planted meanwhile,
 *    dangling or not (a link to an existing file is refused; to a FIFO or device, opened without
 *    creating or truncating anything).
 *
 * Tools used: a POSIX sh with `cd -P`/`pwd -P`/`test -L` (dash, bash, BusyBox ash), `touch` with
 * -c/-m/-h (GNU coreutils; BusyBox with FEATURE_TOUCH_NODEREF, on by default) and `ls -dL` (only
 * to say why a folder cannot be entered: dash's cd does not). Synology DSM ships GNU coreutils and BusyBox.
 *
 * The script is a constant; what the user typed reaches it only as positional parameters, each
 * single-quoted on the command line (src/adapters/ssh/quote.ts).
 */
const SCRIPT = `
mode=$1 create=$2 parent=$3 name=$4
shift 4
say() { printf "%s %s %s\\n" "$1" "$2" "$3"; }
if ! cd -P -- "$parent" 2>/dev/null; then
  ls -dL -- "$parent/" >/dev/null
  say unresolved - "$parent"
  exit 1
fi
here=$(pwd -P && echo x) || { say unresolved - "$parent"; exit 1; }
here=\${here%?x}
here=\${here%/}
path=$here/$name
root=- i=0
for r do
  i=$((i + 1))
  real=$(cd -P -- "$r" 2>/dev/null && pwd -P && echo x) || continue
  real=\${real%?x}
  real=\${real%/}
  case $here/ in "$real"/*) root=$i; break;; esac
done
if [ "$root" = - ]; then say outside - "$path"; exit 1; fi
if [ -L "./$name" ]; then say link "$root" "$path"; exit 1; fi
if [ -e "./$name" ]; then
  if [ "$mode" = plan ]; then say exists "$root" "$path"; exit 0; fi
  touch -c -m -h -- "./$name" || { say failed "$root" "$path"; exit 1; }
  say touched "$root" "$path"
elif [ "$create" = yes ]; then
  if [ "$mode" = plan ]; then say absent "$root" "$path"; exit 0; fi
  (set -C && : > "./$name") || { say failed "$root" "$path"; exit 1; }
  say created "$root" "$path"
else
  say missing "$root" "$path"
  exit 1
fi
`;
// (Command substitution drops every trailing newline; `&& echo x` then `%?x` keeps a folder name that ends in one.)

/** $0 of the remote script: the shell names it in its own messages. */
const SCRIPT_NAME = 'homelab-nas-touch';

/**
 * The argument vector for NasPort.exec: sh -c SCRIPT NAME mode create parent name root…; with
 * `plan` the script resolves and checks as it would, and touches nothing.
 */
export function remoteTouchArgv(target: { parent: string; name: string; create: boolean; roots: readonly string[]; plan?: boolean }): string[] {
  return ['sh', '-c', SCRIPT, SCRIPT_NAME, target.plan ? 'plan' : 'touch', target.create ? 'yes' : 'no', target.parent, target.name, ...target.roots];
}

export type RemoteTouchOutcome =
  /** Touched an existing file or folder; created an empty file. */
  | { kind: 'touched' | 'created'; path: string; rootIndex: number }
  /** Plan mode: it exists and would be touched; it does not exist and would be created. */
  | { kind: 'exists' | 'absent'; path: string; rootIndex: number }
  /** The last component is a symbolic link (dangling or not); nothing was touched. */
  | { kind: 'link'; path: string; rootIndex: number }
  /** Not there, and create was not asked. */
  | { kind: 'missing'; path: string; rootIndex: number }
  /** touch or the create failed (its message is on stderr). */
  | { kind: 'failed'; path: string; rootIndex: number }
  /** The resolved path lies in no resolved root. */
  | { kind: 'outside'; path: string }
  /** The parent folder could not be entered (missing, a link loop, not a folder, no permission): `path` is the parent as asked. */
  | { kind: 'unresolved'; path: string };

/**
 * Reads the script's one status line: `TAG ROOT PATH\n`, ROOT the 0-based index into the roots
 * passed (or -). PATH is the rest, newlines and all. Undefined when the script did not get that far.
 */
export function parseRemoteTouch(stdout: string, rootCount: number): RemoteTouchOutcome | undefined {
  const m = /^(touched|created|exists|absent|link|missing|failed|outside|unresolved) (-|\d+) (\/[\s\S]*)\n$/.exec(stdout);
  if (!m) return undefined;
  const [, kind, root, path] = m as unknown as [string, RemoteTouchOutcome['kind'], string, string];
  if (kind === 'outside' || kind === 'unresolved') return root === '-' ? { kind, path } : undefined;
  const rootIndex = Number(root) - 1;
  if (!Number.isInteger(rootIndex) || rootIndex < 0 || rootIndex >= rootCount) return undefined;
  return { kind, path, rootIndex };
}
