import { z } from 'zod';
import { FINDINGS_RULES, definePrompt, toolList } from './prompt.js';

const STATUS_TOOLS = [
  'cluster_health',
  'flux_status',
  'certs_status',
  'backups_status',
  'secrets_status',
  'ingress_status',
  'tailscale_status',
  'dns_status',
  'media_status',
  'nas_df',
] as const;

export default definePrompt({
  name: 'homelab_status',
  title: 'Status report of the whole homelab',
  description: 'A status report of everything homelab watches: one verdict, a line per subsystem, the worst problems first with their fixes.',
  arguments: z.object({}),
  tools: STATUS_TOOLS,
  optionalTools: ['doctor'],
  render(_args, offers) {
    const tools = STATUS_TOOLS.filter(offers);
    const first = offers('doctor')
      ? `Call \`doctor\` first: it covers every subsystem in one answer. Then call only the status tools of the subsystems it reports as warn or crit (${toolList(tools)}) for detail.`
      : `Call ${toolList(tools)}. Call them all even when the first ones are fine; a tool that answers "not installed" or "not configured" is a line of the report, not an error.`;
    return [
      'Give me a status report of my homelab.',
      '',
      first,
      '',
      'Then write the report:',
      '1. One line first: the overall verdict (ok / warn / crit) and the worst problem.',
      '2. A short table: one row per subsystem (cluster, Flux, certificates, backups, secrets, ingresses, Tailscale, DNS, media, NAS) with its verdict, or "not installed", "not configured" or "could not check: why".',
      '3. The problems, crit first, each in one line with what to do about it.',
      '',
      FINDINGS_RULES,
      'This is a report: change nothing. If a result says it was cut (truncated), say so and name the filter that narrows it.',
    ].join('\n');
  },
});
