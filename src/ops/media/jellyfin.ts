import type { OpContext } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import type { JellyfinPort } from '../../core/ports/jellyfin.js';

/** The Jellyfin client, or a UserError that says how to configure one (writes need it). */
export async function requireJellyfin(ctx: OpContext): Promise<JellyfinPort> {
  const jf = await ctx.services.jellyfin();
  if (!jf) {
    throw new UserError('Jellyfin is not configured', {
      hint: 'add services.jellyfin (url and apiKey: {env: NAME} or {file: PATH}) to the config file',
    });
  }
  return jf;
}
