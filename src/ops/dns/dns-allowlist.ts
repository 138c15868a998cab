import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { isoFromUnix, requirePihole } from './shared.js';
import { plural } from '../shared/format.js';

export default defineOp({
  name: 'dns_allowlist',
  title: 'Pi-hole allowlist',
  description:
    'The domains Pi-hole always lets through (its allowlist), exact names and regular expressions, with their ' +
    'comment, whether each is enabled, its groups and when it was added. Use it to see why something is not blocked.',
  effect: 'read',
  input: z.object({}).strict(),
  output: z.object({
    url: z.string(),
    exact: z.number().int().describe('Exact domains'),
    regex: z.number().int().describe('Regular expressions'),
    disabled: z.number().int().describe('Entries that are switched off'),
    domains: z.array(
      z.object({
        domain: z.string().describe('A domain, or a regular expression for kind regex'),
        kind: z.enum(['exact', 'regex']),
        enabled: z.boolean(),
        comment: z.string().optional(),
        groups: z.array(z.number().int()),
        added: z.string().optional().describe('ISO time'),
      }),
    ),
  }),
  rbac: [],
  timeoutMs: 30_000,
  async run(ctx) {
    const pihole = await requirePihole(ctx, 'read the allowlist');
    const list = await pihole.domains('allow');
    const domains = list
      .map((d) => ({ domain: d.domain, kind: d.kind, enabled: d.enabled, comment: d.comment ?? undefined, groups: d.groups, added: isoFromUnix(d.dateAdded) }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.domain.localeCompare(b.domain));
    return {
      url: pihole.target,
      exact: domains.filter((d) => d.kind === 'exact').length,
      regex: domains.filter((d) => d.kind === 'regex').length,
      disabled: domains.filter((d) => !d.enabled).length,
      domains,
    };
  },
  summarize: (out) => ({
    verdict: 'ok',
    line: out.domains.length
      ? `${plural(out.exact, 'exact domain')} and ${plural(out.regex, 'regex', 'regexes')} allowed${out.disabled ? ` (${out.disabled} disabled)` : ''}`
      : 'the allowlist is empty',
  }),
});
