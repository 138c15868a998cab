import { z } from 'zod';
import { defineOp, type RbacRule, type Verdict } from '../../core/op.js';
import { listAll } from '../../core/ports/kube.js';
import { namespaceSchema } from '../../core/schemas.js';
import { summarizeStatus, summaryLineSchema, verdictSchema, worstVerdict } from '../shared/findings.js';
import { mergeRbac, rbacOf } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { FLUX_KINDS } from '../flux/kinds.js';
import { ingressCheck } from '../ingress/ingress-check.js';
import { certificatesCheck } from '../certs/certificates-check.js';
import { secretsCheck } from '../secrets/secrets-check.js';
import dnsDiagnose from '../dns/dns-diagnose.js';
import { Chain, isBroken, labelOf, linkSchema, type Link } from './links.js';
import { dnsLink, ingressLinks, ingressesFor, podsLinks, serviceLinks, workloadLinks } from './chain.js';
import { fluxLinks } from './flux-chain.js';
import { parseTarget, resolveStart, type ParsedTarget, type Start } from './target.js';
import type { KubeObject } from '../../core/ports/kube.js';

const output = z.object({
  target: z.string(),
  resolved: z
    .object({ kind: z.string(), namespace: z.string().optional(), name: z.string() })
    .describe('Where the walk started: Host, or the object the target named'),
  verdict: verdictSchema,
  summary: summaryLineSchema,
  firstBroken: z.number().int().optional().describe('Index in links of the first link broken by its own fault (walking outside in), absent when none is'),
  links: z
    .array(linkSchema)
    .describe('Every link checked, outside in: DNS, Ingress, Certificate, Service, pods, their owner, PVCs, ExternalSecrets, Flux objects and sources'),
});
type Output = z.infer<typeof output>;

const STATE_VERDICT: Record<Link['state'], Verdict> = { ok: 'ok', skipped: 'ok', warn: 'warn', unknown: 'warn', crit: 'crit' };

/** What following a chain may read, beyond the checks it runs (discovery aside). */
const WALK_RBAC: RbacRule[] = [
  { apiGroup: '', resource: 'services', verbs: ['get', 'list'] },
  { apiGroup: '', resource: 'pods', verbs: ['get', 'list'] },
  { apiGroup: '', resource: 'pods/log', verbs: ['get'] },
  { apiGroup: '', resource: 'events', verbs: ['list'] },
  { apiGroup: '', resource: 'persistentvolumeclaims', verbs: ['get'] },
  { apiGroup: 'storage.k8s.io', resource: 'storageclasses', verbs: ['get'] },
  { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: ['get', 'list'] },
  ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].map((resource): RbacRule => ({ apiGroup: 'apps', resource, verbs: ['get', 'list'] })),
  ...FLUX_KINDS.filter((k) => k.kind === 'HelmRelease' || k.kind === 'Kustomization' || k.source).map((k): RbacRule => ({
    apiGroup: k.group,
    resource: k.resource,
    verbs: ['get', 'list'],
  })),
];

/** The labels helm-controller puts on what a HelmRelease installs: how its workloads are found. */
async function releaseWorkloads(chain: Chain, start: Extract<Start, { type: 'object' }>): Promise<void> {
  const target = (start.object.spec as { targetNamespace?: string } | undefined)?.targetNamespace ?? start.namespace;
  const labelSelector = `helm.toolkit.fluxcd.io/name=${start.name},helm.toolkit.fluxcd.io/namespace=${start.namespace}`;
  for (const [kind, resource] of [
    ['Deployment', 'deployments'],
    ['StatefulSet', 'statefulsets'],
    ['DaemonSet', 'daemonsets'],
  ] as const) {
    const found = await chain.read({ kind, namespace: target, name: labelSelector }, () =>
      listAll(chain.ctx.kube, { group: 'apps', version: 'v1', resource, namespace: target }, { labelSelector }),
    );
    for (const raw of (found ?? []).slice(0, 3)) await workloadLinks(chain, kind, raw);
  }
}

/** From an Ingress: its host's DNS answer (beside the Ingress), the Ingress and its TLS, its backend Service and on. */
async function fromIngress(chain: Chain, ingress: KubeObject, host: string | undefined, path: string, withDns: boolean): Promise<void> {
  const dns = new Chain(chain.ctx);
  const main = new Chain(chain.ctx);
  const [, route] = await Promise.all([withDns && host ? dnsLink(dns, host) : Promise.resolve(), ingressLinks(main, ingress, host, path)]);
  chain.adopt(dns);
  chain.adopt(main);
  if (!route.service || route.reasons.includes('ServiceMissing')) return;
  const service = await serviceLinks(chain, ingress.metadata.namespace ?? '', route.service, route.port);
  // No ready endpoints is the Service's pods' doing; a missing port is the Ingress's own.
  if (route.reasons.every((r) => r === 'NoReadyEndpoints')) chain.explain(route.link, service);
}

async function walk(chain: Chain, start: Start): Promise<void> {
  if (start.type === 'host') {
    const dns = new Chain(chain.ctx);
    const found = new Chain(chain.ctx);
    const [, ingresses] = await Promise.all([dnsLink(dns, start.host), ingressesFor(found, start.host, start.path, undefined)]);
    chain.adopt(dns);
    chain.adopt(found);
    const ingress = ingresses?.[0];
    if (ingress) await fromIngress(chain, ingress, start.host, start.path, false);
    else if (ingresses)
      chain.add({
        kind: 'Ingress',
        name: start.host,
        state: 'warn',
        detail: `no Ingress has a rule for ${start.host}: homelab follows a name into the cluster only through an Ingress`,
      });
  } else {
    const { kind, namespace, object } = start;
    switch (kind.kind) {
      case 'Ingress': {
        const host = ((object.spec as { rules?: Array<{ host?: string }> } | undefined)?.rules ?? []).find((r) => r.host && !r.host.startsWith('*'))?.host;
        await fromIngress(chain, object, host, '/', true);
        break;
      }
      case 'Service':
        await serviceLinks(chain, namespace, start.name, undefined, object);
        break;
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
        await workloadLinks(chain, kind.kind, object);
        break;
      case 'Pod':
        await podsLinks(chain, namespace, [object]);
        break;
      default: {
        // A Flux object: it, its sources and parents first, then what a HelmRelease installed.
        await fluxLinks(chain, [{ key: kind.flux ?? '', namespace, name: start.name }]);
        if (kind.kind === 'HelmRelease') await releaseWorkloads(chain, start);
        return;
      }
    }
  }
  await fluxLinks(chain, []);
}

function summaryLine(links: readonly Link[], first: Link | undefined): string {
  const unknown = links.filter((l) => l.state === 'unknown').map(labelOf);
  const notChecked = unknown.length ? `; could not check ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}` : '';
  if (first) {
    const byLabel = new Map(links.map((l) => [labelOf(l), l]));
    const rootOf = (l: Link, hops = 0): Link => (l.explainedBy && hops < links.length ? rootOf(byLabel.get(l.explainedBy) ?? l, hops + 1) : l);
    const behind = links.filter((l) => l.explainedBy && rootOf(l) === first).length;
    return `first broken link: ${labelOf(first)}: ${first.detail}${behind ? ` (it breaks ${plural(behind, 'link')} above it)` : ''}${notChecked}`;
  }
  const kinds = [...new Set(links.filter((l) => l.state === 'ok').map((l) => l.kind))];
  if (unknown.length) return `nothing found broken in ${plural(links.length, 'link')}, but some could not be checked${notChecked}`;
  return `nothing broken: ${plural(links.length, 'link')} checked (${kinds.join(', ')})`;
}

export default defineOp({
  name: 'why',
  title: 'Why: from a name to the first broken link',
  description:
    'Follows one service from the outside in: DNS, Ingress, certificate, Service, pods, owner, PVCs, secrets, Flux. Returns each link and the first broken one.',
  effect: 'read',
  input: z
    .object({
      target: z
        .string()
        .min(1)
        .max(2048)
        .superRefine((text, zctx) => {
          const parsed = parseTarget(text);
          if (typeof parsed === 'string') zctx.addIssue({ code: 'custom', message: parsed });
        })
        .describe('A hostname or URL, KIND/NAME, or an app name'),
      namespace: namespaceSchema.optional().describe('Look only in this namespace (for KIND/NAME or a name)'),
    })
    .strict(),
  output,
  // The checks it runs, the DNS diagnosis, and the objects it follows.
  rbac: mergeRbac(rbacOf([ingressCheck, certificatesCheck, secretsCheck]), dnsDiagnose.rbac, WALK_RBAC),
  timeoutMs: 45_000,
  args: ['target'],
  async run(ctx, input): Promise<Output> {
    const parsed = parseTarget(input.target) as ParsedTarget;
    const start = await resolveStart(ctx, parsed, input.namespace, input.target);
    const chain = new Chain(ctx);
    await walk(chain, start);
    const links = chain.links;
    const index = links.findIndex((l) => isBroken(l) && !l.explainedBy);
    const firstBroken = index >= 0 ? index : links.findIndex(isBroken);
    const first = firstBroken >= 0 ? links[firstBroken] : undefined;
    return {
      target: input.target,
      resolved: start.type === 'host' ? { kind: 'Host', name: start.host } : { kind: start.kind.kind, namespace: start.namespace, name: start.name },
      verdict: worstVerdict(links.map((l) => STATE_VERDICT[l.state])),
      summary: summaryLine(links, first),
      ...(first ? { firstBroken } : {}),
      links,
    };
  },
  summarize: summarizeStatus,
});
