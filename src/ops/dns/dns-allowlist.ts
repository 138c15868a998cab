import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { isoFromUnix, requirePihole } from './shared.js';
import { plural } from '../shared/format.js';
import { DEFAULT_LIMIT, cutList, limitSchema, truncation, truncationShape } from '../shared/bounded.js';
import { compareText } from '../../core/compare.js';

/** The domains cut to limit; a cut counts them all by kind and state. */
function shownDomains<T extends { kind: string; enabled: boolean }>(domains: T[], limit: number) {
  const shown = cutList(domains, limit, { by: (d) => `${d.kind}${d.enabled ? '' : ' disabled'}`, narrow: 'limit' });
  return { domains: shown.rows, ...truncation({ domains: shown.cut }) };
}

export default defineOp({
  name: 'dns_allowlist',
  title: 'Pi-hole allowlist',
  description: 'Exact domains and regexes with comment, enabled and groups. Use it to see why something is not blocked.',
  effect: 'read',
  listedWith: ['pihole'],
  input: z.object({ limit: limitSchema() }).strict(),
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
    ...truncationShape,
  }),
  rbac: [],
  timeoutMs: 30_000,
  async run(ctx, input) {
    const pihole = await requirePihole(ctx, 'read the allowlist');
    const list = await pihole.domains('allow');
    const domains = list
      .map((d) => ({ domain: d.domain, kind: d.kind, enabled: d.enabled, comment: d.comment ?? undefined, groups: d.groups, added: isoFromUnix(d.dateAdded) }))
      .sort((a, b) => compareText(a.kind, b.kind) || compareText(a.domain, b.domain));
    return {
      url: pihole.target,
      exact: domains.filter((d) => d.kind === 'exact').length,
      regex: domains.filter((d) => d.kind === 'regex').length,
      disabled: domains.filter((d) => !d.enabled).length,
      ...shownDomains(domains, input.limit ?? DEFAULT_LIMIT),
    };
  },
  summarize: (out) => ({
    verdict: 'ok',
    line: out.domains.length
      ? `${plural(out.exact, 'exact domain')} and ${plural(out.regex, 'regex', 'regexes')} allowed${out.disabled ? ` (${out.disabled} disabled)` : ''}`
      : 'the allowlist is empty',
  }),
});
