import type { z } from 'zod';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';
import nasDf from './nas-df.js';

export type NasDisk = z.output<typeof nasDf.output>;

/**
 * The NAS volumes' disk use against nas_df's thresholds: the status op is the one implementation,
 * this check reads through it. Not configured without a `nas:` section.
 */
export const nasCheck: Check<object, NasDisk> = {
  name: 'nas',
  about: 'NAS volumes: disk use against the warn and crit thresholds',
  rbac: nasDf.rbac,
  async run(ctx) {
    const out = nasDf.output.parse(await nasDf.run(ctx, {}));
    return {
      installed: true,
      configured: out.configured,
      scope: `${plural(out.volumes.length, 'volume')}${out.nas ? ` on ${out.nas}` : ''}`,
      note: out.configured ? undefined : 'no nas: section in the config',
      findings: out.findings,
      looked: [],
      lookedTotal: 0,
      data: out,
    };
  },
};
