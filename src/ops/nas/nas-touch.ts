import { z } from 'zod';
import { defineOp, type OpContext } from '../../core/op.js';
import { Forbidden, NotFound, PolicyDenied, Upstream, UserError } from '../../core/errors.js';
import { MAX_PATH_LENGTH, normaliseRoots, resolveNasPath, splitNasPath } from './paths.js';
import { parseRemoteTouch, remoteTouchArgv, type RemoteTouchOutcome } from './remote-touch.js';
import { CONFIGURE_HINT, NOT_CONFIGURED, firstLine } from './shared.js';

export default defineOp({
  name: 'nas_touch',
  title: 'Touch a path on the NAS',
  description: 'Over SSH, so Jellyfin or the NAS indexer notices new media. The path must resolve inside nas.roots; create makes an empty file.',
  effect: 'write',
  input: z
    .object({
      path: z.string().min(1).max(MAX_PATH_LENGTH).describe('Absolute path on the NAS inside one of nas.roots, e.g. /volume1/video/TV/Show'),
      create: z.boolean().default(false).describe('Create an empty file if missing'),
    })
    .strict(),
  output: z.object({
    nas: z.string().describe('user@host:port'),
    path: z.string().describe('The path that was touched, as the NAS resolved it (every symbolic link followed)'),
    requested: z.string().describe('The path as asked, normalised (differs from path when a folder on the way is a symbolic link)'),
    root: z.string().describe('The configured root the resolved path lies in'),
    existed: z.boolean(),
    created: z.boolean(),
  }),
  args: ['path'],
  // Only timestamps change (or an empty file appears with create); doing it twice is the same.
  hints: { destructive: false, idempotent: true, openWorld: false },
  rbac: [],
  requires: ['nas'],
  timeoutMs: 60_000,
  async plan(ctx, input) {
    const { nas, target, outcome } = await resolveOnNas(ctx, input, true);
    if (outcome.kind !== 'exists' && outcome.kind !== 'absent') return refuse(outcome, target);
    const shown = outcome.path === target.requested ? target.requested : `${target.requested} (${outcome.path} on the NAS)`;
    return {
      summary: `${outcome.kind === 'exists' ? 'touch' : 'create the empty file'} ${shown} on the NAS ${nas}`,
      changes: [
        {
          action:
            outcome.kind === 'exists'
              ? `touch -c -m -h ${outcome.path} on the NAS ${nas} (its modification time becomes now)`
              : `create the empty file ${outcome.path} on the NAS ${nas}`,
        },
      ],
      effects: ['file watchers on the NAS (Jellyfin real-time monitoring, the Synology indexer) see it as changed and look at it again'],
      observed: [],
      state: undefined,
    };
  },
  async run(ctx, input) {
    // The NAS resolves the path again in the command that acts: nothing swapped since the plan is followed.
    const { nas, target, outcome } = await resolveOnNas(ctx, input, false);
    if (outcome.kind !== 'touched' && outcome.kind !== 'created') return refuse(outcome, target);
    return {
      nas,
      path: outcome.path,
      requested: target.requested,
      root: target.roots[outcome.rootIndex] ?? '',
      existed: outcome.kind === 'touched',
      created: outcome.kind === 'created',
    };
  },
  summarize: (out) => ({
    verdict: 'ok',
    line: `${out.created ? 'created' : 'touched'} ${out.path}${out.path === out.requested ? '' : ` (asked: ${out.requested})`} on the NAS ${out.nas}`,
  }),
});

/** What was asked, checked on the text, and what the NAS said when it resolved it. */
interface Resolved {
  requested: string;
  roots: string[];
  username: string;
  nas: string;
  stderr: string;
  exit: string;
}

/**
 * Runs the resolve-and-touch script (remote-touch.ts) on the NAS: with `plan` it only resolves and
 * checks. The rules on the text are checked before any SSH traffic; the NAS then checks where it
 * really leads.
 */
async function resolveOnNas(
  ctx: OpContext,
  input: { path: string; create: boolean },
  plan: boolean,
): Promise<{ nas: string; target: Resolved; outcome: RemoteTouchOutcome }> {
  const config = ctx.config.nas;
  if (!config) throw new UserError(NOT_CONFIGURED, { hint: CONFIGURE_HINT });
  const { path: requested } = resolveNasPath(input.path, config.roots);
  const nas = await ctx.services.nas();
  if (!nas) throw new UserError(NOT_CONFIGURED, { hint: CONFIGURE_HINT });
  const { parent, name } = splitNasPath(requested);
  const roots = normaliseRoots(config.roots);
  const r = await nas.exec(remoteTouchArgv({ parent, name, create: input.create, roots, plan }));
  const target: Resolved = { requested, roots, username: config.username, nas: nas.target, stderr: r.stderr, exit: String(r.exitCode ?? r.signal) };
  const outcome = parseRemoteTouch(r.stdout, roots.length);
  if (!outcome) {
    const why = firstLine(r.stderr);
    throw new Upstream(
      `could not ${plan ? 'check' : 'touch'} ${requested} on the NAS ${nas.target}: sh exited ${target.exit}${why ? `: ${why}` : ' and said nothing'}`,
    );
  }
  return { nas: nas.target, target, outcome };
}

/** Why the NAS would not (or did not) touch it, as the error the person reads; nothing was touched. */
function refuse(outcome: RemoteTouchOutcome, target: Resolved): never {
  const { requested, roots, nas } = target;
  const why = firstLine(target.stderr);
  // "ROOT/alias/x (/volume1/media/TV/x on the NAS)" when a link on the way changed it.
  const shown = outcome.path === requested ? requested : `${requested} (${outcome.path} on the NAS)`;
  switch (outcome.kind) {
    case 'outside':
      throw new PolicyDenied(
        `${requested} resolves on the NAS to ${outcome.path}, which is not inside a configured root (nas.roots: ${roots.join(', ')}); refused, nothing was touched`,
        {
          hint: 'a folder on the way is a symbolic link out of the roots: touch the real path if it lies in a root, or add its share to nas.roots',
        },
      );
    case 'link':
      throw new PolicyDenied(`${shown} is a symbolic link on the NAS: homelab does not touch through a link; refused, nothing was touched`, {
        hint: 'touch the path it points to instead, by that path (ls -l on the NAS shows where it points)',
      });
    case 'unresolved':
      return unresolved(outcome.path, requested, nas, why);
    case 'missing':
      throw new NotFound(`${shown} does not exist on the NAS ${nas}`, {
        hint: 'check the path as the NAS sees it (e.g. /volume1/…), or pass --create (MCP: create: true) to create an empty file',
      });
    case 'failed':
      if (/permission denied|read-only file system|operation not permitted/i.test(target.stderr)) {
        throw new Forbidden(`user ${target.username} may not touch ${shown} on the NAS: ${why}`, {
          hint: 'give the SSH user write permission on the share (DSM: Control Panel > Shared Folder > Edit > Permissions)',
        });
      }
      if (/invalid option|unrecognized option|unknown option/i.test(target.stderr)) {
        throw new Upstream(`the NAS's touch does not take -c -m -h: ${why}`, {
          hint: 'homelab needs a touch with -h (--no-dereference), so that a link is never followed: GNU coreutils or BusyBox with FEATURE_TOUCH_NODEREF',
        });
      }
      throw new Upstream(`could not touch ${shown} on the NAS ${nas}: ${why || `exit ${target.exit}`}`);
    default:
      // A plan's answer where an act's was due, or the other way round: the script and this code disagree.
      throw new Upstream(`the NAS answered "${outcome.kind}" for ${shown}, which homelab did not expect here`);
  }
}

/** The folder the path is in could not be entered: say why in words, from the NAS's own message. */
function unresolved(parent: string, requested: string, target: string, why: string): never {
  // `ls: cannot access 'X/': REASON` (GNU) or `ls: X/: REASON` (BusyBox): the reason is the last part.
  const reason = why.slice(why.lastIndexOf(': ') + 2);
  if (/too many levels of symbolic links/i.test(reason)) {
    throw new UserError(`${requested} cannot be resolved on the NAS: ${parent} runs into a symbolic link loop (${reason}); refused, nothing was touched`, {
      hint: 'a link on the way points back at itself or at another link that does; fix or remove it on the NAS',
    });
  }
  if (/no such file or directory/i.test(reason)) {
    throw new NotFound(`cannot touch ${requested} on the NAS ${target}: its folder ${parent} does not exist, or a link on the way leads nowhere (${reason})`, {
      hint: 'its parent folder must exist',
    });
  }
  if (/not a directory/i.test(reason)) throw new UserError(`cannot touch ${requested}: ${parent} is not a folder on the NAS (${reason})`);
  if (/permission denied/i.test(reason))
    throw new Forbidden(`cannot enter ${parent} on the NAS ${target}: ${reason}`, { hint: 'give the SSH user access to the share' });
  throw new Upstream(`cannot enter ${parent} on the NAS ${target}${why ? `: ${why}` : ''}`);
}
