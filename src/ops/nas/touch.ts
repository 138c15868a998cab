import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { Forbidden, NotFound, Upstream, UserError } from '../../core/errors.js';
import { MAX_PATH_LENGTH, resolveNasPath } from './paths.js';
import { CONFIGURE_HINT, NOT_CONFIGURED, firstLine } from './shared.js';

export default defineOp({
  name: 'nas_touch',
  title: 'Touch a path on the NAS',
  description:
    'Updates the modification time of a file or folder on the NAS (touch -c -m over SSH) so that file watchers on the NAS ' +
    '(Jellyfin real-time monitoring, the Synology indexer) notice new or changed media in it. The path is as the NAS sees it ' +
    '(/volume1/video/TV/Show) and must lie strictly inside one of nas.roots; `..` segments and control characters are refused. ' +
    'A path that does not exist is an error unless create is set, which creates an empty file. Refused in read-only mode. ' +
    'Returns the normalised path, the root that admits it, and whether it existed or was created.',
  effect: 'write',
  input: z
    .object({
      path: z.string().min(1).max(MAX_PATH_LENGTH).describe('Absolute path on the NAS inside one of nas.roots, e.g. /volume1/video/TV/Show'),
      create: z.boolean().default(false).describe('Create an empty file when the path does not exist (default: refuse)'),
    })
    .strict(),
  output: z.object({
    nas: z.string().describe('user@host:port'),
    path: z.string().describe('The normalised path that was touched'),
    root: z.string().describe('The configured root it lies in'),
    existed: z.boolean(),
    created: z.boolean(),
  }),
  args: ['path'],
  // Only timestamps change (or an empty file appears with create); doing it twice is the same.
  hints: { destructive: false, idempotent: true, openWorld: false },
  rbac: [],
  timeoutMs: 60_000,
  async run(ctx, input) {
    const config = ctx.config.nas;
    if (!config) throw new UserError(NOT_CONFIGURED, { hint: CONFIGURE_HINT });
    // Every rule is checked before any SSH traffic.
    const { path, root } = resolveNasPath(input.path, config.roots);
    const nas = await ctx.services.nas();
    if (!nas) throw new UserError(NOT_CONFIGURED, { hint: CONFIGURE_HINT });

    // The path is absolute, so `test` cannot read it as an option.
    const probe = await nas.exec(['test', '-e', path], { signal: ctx.signal });
    if (probe.exitCode !== 0 && probe.exitCode !== 1) {
      throw new Upstream(`could not check ${path} on the NAS ${nas.target}: test exited ${probe.exitCode ?? probe.signal}${probe.stderr ? `: ${firstLine(probe.stderr)}` : ''}`);
    }
    const existed = probe.exitCode === 0;
    if (!existed && !input.create) {
      throw new NotFound(`${path} does not exist on the NAS ${nas.target}`, {
        hint: 'check the path as the NAS sees it (e.g. /volume1/…), or pass --create (MCP: create: true) to create an empty file',
      });
    }
    // -c: never create a file here unless asked; -m: the modification time, which watchers see.
    const argv = existed ? ['touch', '-c', '-m', '--', path] : ['touch', '-m', '--', path];
    const r = await nas.exec(argv, { signal: ctx.signal });
    if (r.exitCode !== 0) {
      const why = firstLine(r.stderr) || `exit ${r.exitCode ?? r.signal}`;
      if (/permission denied|read-only file system|operation not permitted/i.test(r.stderr)) {
        throw new Forbidden(`user ${config.username} may not touch ${path} on the NAS: ${why}`, { hint: 'give the SSH user write permission on the share (DSM: Control Panel > Shared Folder > Edit > Permissions)' });
      }
      if (/no such file or directory/i.test(r.stderr)) throw new NotFound(`cannot touch ${path} on the NAS: ${why}`, { hint: 'its parent folder must exist' });
      throw new Upstream(`touch failed on the NAS ${nas.target}: ${why}`);
    }
    return { nas: nas.target, path, root, existed, created: !existed };
  },
  summarize: (out) => ({ verdict: 'ok', line: `${out.created ? 'created' : 'touched'} ${out.path} on the NAS ${out.nas}` }),
});
