import { UserError } from '../../core/errors.js';

/** PATH_MAX on Linux; longer is a mistake. */
export const MAX_PATH_LENGTH = 4096;

// C0 controls (NUL, newline, tab, escape ...), DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The rules a NAS path passes before any SSH traffic:
 * - no control characters at all (NUL, newline, carriage return, tab, escape, DEL, C1);
 * - absolute (starts with /);
 * - no `..` segment anywhere: refused outright, not resolved, so what was asked is what is touched;
 * - `.` segments, repeated and trailing slashes are dropped (/a//./b/ is /a/b);
 * - strictly inside one of the roots: /volume1/media admits /volume1/media/x but not
 *   /volume1/media-evil/x, and not /volume1/media itself (touching a library's root would rescan all
 *   of it; touch the folder that changed).
 * Returns the normal form and the root that admits it; throws UserError (exit 64) otherwise.
 * These are rules on the text alone: where the path really leads (symbolic links) is checked on the
 * NAS, in the command that acts (remote-touch.ts).
 */
export function resolveNasPath(raw: string, roots: readonly string[]): { path: string; root: string } {
  const path = normalise(raw, 'path');
  const normalRoots = normaliseRoots(roots);
  const root = normalRoots.find((r) => isInside(path, r));
  if (root) return { path, root };
  if (normalRoots.includes(path)) {
    throw new UserError(`${path} is a root itself; only paths inside it may be touched`, {
      hint: `name the folder or file that changed, e.g. ${path}/Show/Season 1`,
    });
  }
  throw new UserError(`${path} is not inside a configured root (nas.roots: ${normalRoots.join(', ')})`, {
    hint: 'add its share to nas.roots in the config file if it should be allowed',
  });
}

/** nas.roots in normal form (/volume1//media/ is /volume1/media); throws UserError on one that breaks the rules. */
export function normaliseRoots(roots: readonly string[]): string[] {
  return roots.map((r) => normalise(r, 'configured root (nas.roots)'));
}

function normalise(raw: string, what: string): string {
  const shown = JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw);
  if (raw.length === 0) throw new UserError(`the ${what} is empty`);
  if (raw.length > MAX_PATH_LENGTH) throw new UserError(`the ${what} is longer than ${MAX_PATH_LENGTH} characters`);
  const control = CONTROL.exec(raw);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new UserError(`the ${what} ${shown} contains a control character (U+${code}); refused`);
  }
  if (!raw.startsWith('/')) throw new UserError(`the ${what} ${shown} is not absolute: it must start with /`);
  const segments = raw.split('/');
  if (segments.includes('..')) throw new UserError(`the ${what} ${shown} has a .. segment; refused (name the path without ..)`);
  return `/${segments.filter((s) => s !== '' && s !== '.').join('/')}`;
}

/** Strictly inside: a prefix of whole segments, and not the root itself. */
export function isInside(path: string, root: string): boolean {
  if (root === '/') return path !== '/';
  return path.startsWith(`${root}/`);
}

/** A normal path (from resolveNasPath) as its folder and last component: /a/b/c is /a/b and c, /a is / and a. */
export function splitNasPath(path: string): { parent: string; name: string } {
  const cut = path.lastIndexOf('/');
  return { parent: cut === 0 ? '/' : path.slice(0, cut), name: path.slice(cut + 1) };
}
