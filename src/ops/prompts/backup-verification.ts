import { z } from 'zod';
import { namespaceSchema } from '../../core/schemas.js';
import { FINDINGS_RULES, definePrompt } from './prompt.js';

export default definePrompt({
  name: 'backup_verification',
  title: 'Verify the backups',
  description: 'Checks that every backup CronJob ran recently and succeeded, finds why a failing one failed, and checks the NAS has room for the next one.',
  arguments: z.object({
    namespace: namespaceSchema.optional().describe('Only the backups in this namespace (default: all)'),
  }),
  tools: ['backups_status', 'pods_logs', 'nas_df'],
  optionalTools: ['backups_trigger'],
  render({ namespace }, offers) {
    const scope = namespace ? `in namespace \`${namespace}\`` : 'in every namespace';
    const rerun = offers('backups_trigger')
      ? 'When the cause is fixed (or was passing), offer to run the backup now with `backups_trigger` (its fix); it asks me to confirm before it runs.'
      : 'Running a backup again is a write this server does not offer (read-only): name the CronJob and tell me to run it with `homelab backups trigger` (see `homelab backups trigger --help`).';
    return [
      `Verify my backups ${scope}.`,
      '',
      `1. Call \`backups_status\`${namespace ? ` with namespace \`${namespace}\`` : ''}. For each backup CronJob say when it last succeeded, how that compares with its schedule, and whether it is suspended.`,
      '2. For every failed or stale one, read the logs of its last failed pod (`pods_logs`, the pod and container its finding names) and say the cause in one line.',
      '3. Call `nas_df`: say how full the backup volume is and whether the next backup fits. "Not configured" is an answer, not an error.',
      `4. ${rerun}`,
      '',
      'Finish with a one-line verdict: all backups verified, or which ones are not and why.',
      FINDINGS_RULES,
    ].join('\n');
  },
});
