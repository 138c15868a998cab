import type { z } from 'zod';
import type { Sandbox } from '@homelab/sandbox';
import type jellyfinFix from '../../src/ops/media/jellyfin-fix.js';
import type mediaStatus from '../../src/ops/media/media-status.js';

/** What the media ops answer: their own output schemas. */
export type Media = z.output<typeof mediaStatus.output>;
export type Fixed = z.output<typeof jellyfinFix.output>;

/** The sandbox's fake Jellyfin (its request log, its items' state). */
export function jellyfinOf(sandbox: Sandbox): NonNullable<Sandbox['services']['jellyfin']> {
  const fake = sandbox.services.jellyfin;
  if (!fake) throw new Error('the sandbox runs no Jellyfin');
  return fake;
}

/** An item of the fake Jellyfin by its name. */
export function jellyfinItem(sandbox: Sandbox, name: string): ReturnType<ReturnType<typeof jellyfinOf>['items']>[number] {
  const found = jellyfinOf(sandbox)
    .items()
    .find((i) => i.Name === name);
  if (!found) throw new Error(`no ${name} in the fake`);
  return found;
}
