import type { z } from 'zod';
import type { Check } from '../shared/check.js';
import mediaStatus from './media-status.js';

export type MediaStatus = z.output<typeof mediaStatus.output>;

/**
 * Jellyfin and Immich as media_status sees them: the status op is the one implementation, this
 * check reads through it. Not configured when the config names neither; it throws (could not
 * check) when none of the configured ones could be asked.
 */
export const mediaCheck: Check<object, MediaStatus> = {
  name: 'media',
  about: 'Jellyfin and Immich: reachable, failed tasks, job queues, photo disk',
  rbac: mediaStatus.rbac,
  async run(ctx) {
    const out = mediaStatus.output.parse(await mediaStatus.run(ctx, {}));
    const services = [out.jellyfin.configured && 'Jellyfin', out.immich.configured && 'Immich'].filter((s): s is string => Boolean(s));
    return {
      installed: true,
      configured: services.length > 0,
      scope: services.join(' and ') || 'no media services',
      note: services.length ? undefined : 'no Jellyfin or Immich in the config (services.jellyfin, services.immich)',
      findings: out.findings,
      looked: [],
      lookedTotal: 0,
      data: out,
    };
  },
};
