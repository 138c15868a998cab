import { z } from 'zod';
import { fix } from '../shared/fix.js';
import { FINDINGS_RULES, definePrompt, promptText } from './prompt.js';

export default definePrompt({
  name: 'media_missing',
  title: 'A show I downloaded is missing from Jellyfin',
  description:
    'Finds why a downloaded series or movie does not show in Jellyfin (not where a library looks, not scanned yet, or hidden for lack of metadata) and fixes it.',
  arguments: z.object({
    title: promptText(200).describe('The series or movie, as it is called ("Better Off Ted")'),
    path: promptText(1024).optional().describe('Where it was downloaded to on the NAS, if known'),
  }),
  tools: ['media_status', 'nas_df'],
  // Writes: absent in read-only mode, when the text gives the commands instead.
  optionalTools: ['jellyfin_fix', 'nas_touch', 'jellyfin_scan'],
  render({ title, path }, offers) {
    // A write the server does not offer (read-only) becomes the command a person runs, quoted to run as printed.
    const step = (tool: 'jellyfin_fix' | 'nas_touch' | 'jellyfin_scan', input: Record<string, string>, what: string) =>
      offers(tool)
        ? `${what} with \`${tool}\` (it asks me to confirm first)`
        : `${what}: this server is read-only, so tell me to run \`${fix(tool, input).command}\``;
    const touch = path
      ? step('nas_touch', { path }, `Touch \`${path}\` so the change is seen`)
      : offers('nas_touch')
        ? 'Ask me where it was downloaded and touch that folder with `nas_touch` so the change is seen (it asks me to confirm first)'
        : 'Ask me where it was downloaded; touching that folder is a write this server does not offer (read-only), so tell me to run `homelab nas touch` with it';
    return [
      `I downloaded "${title}"${path ? ` to \`${path}\`` : ''} but it does not show in Jellyfin. Find out why and fix it.`,
      '',
      '1. Call `media_status`: is Jellyfin up, which libraries does it have, is a scan running?',
      `2. An item in Jellyfin's database that has no metadata is hidden from the UI and from search. ${step('jellyfin_fix', { title }, 'Look for it and refresh it')}: it acts only on an exact title; "not-exact" or "ambiguous" lists the candidates with their ids: show them to me and let me pick.`,
      `3. If Jellyfin does not know it at all, the files are not where a library looks, or the scan did not notice them. ${touch}; then ${step('jellyfin_scan', {}, 'run a library scan')}. Call \`nas_df\` if the volume might be full.`,
      '',
      'The runbook `homelab://runbooks/jellyfin-hidden-item` explains the hidden-item case; read it when the answer is not clear.',
      'Answer with what was wrong in one line, what you did, and whether the show is visible now.',
      FINDINGS_RULES,
    ].join('\n');
  },
});
