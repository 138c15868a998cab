import { z } from 'zod';
import type { OpContext, RbacRule } from '../../core/op.js';
import { podRow, type PodRow } from '../shared/pods.js';
import { conditionSchema, metadataSchema, podSchema } from '../shared/k8s.js';
import { conditionStatusSchema, conditionStatus } from '../shared/conditions.js';
import type { Finding } from '../shared/findings.js';
import type { Check, CheckReport } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { Reads } from '../shared/reads.js';
import { compareText } from '../../core/compare.js';

export const GROUP = 'tailscale.com';
export const VERSION = 'v1alpha1';

/** The operator's cluster-scoped kinds and the condition each uses for "ready" (there is no generic Ready). */
const KINDS = [
  { kind: 'Connector', resource: 'connectors', condition: 'ConnectorReady' },
  { kind: 'ProxyClass', resource: 'proxyclasses', condition: 'ProxyClassReady' },
  { kind: 'ProxyGroup', resource: 'proxygroups', condition: 'ProxyGroupReady' },
  { kind: 'Recorder', resource: 'recorders', condition: 'RecorderReady' },
  { kind: 'DNSConfig', resource: 'dnsconfigs', condition: 'NameserverReady' },
  { kind: 'Tailnet', resource: 'tailnets', condition: 'TailnetReady' },
  { kind: 'PeerRelay', resource: 'peerrelays', condition: 'PeerRelayReady' },
] as const;

const tailscaleObjectSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      hostname: z.string().optional(),
      hostnamePrefix: z.string().optional(),
      exitNode: z.boolean().optional(),
      subnetRouter: z.looseObject({ advertiseRoutes: z.array(z.string()).optional() }).optional(),
      appConnector: z.looseObject({ routes: z.array(z.string()).optional() }).nullish(),
    })
    .default({}),
  status: z
    .looseObject({
      conditions: z.array(conditionSchema.extend({ observedGeneration: z.number().optional() })).optional(),
      subnetRoutes: z.string().optional(),
      isExitNode: z.boolean().optional(),
      isAppConnector: z.boolean().optional(),
      tailnetIPs: z.array(z.string()).optional(),
      hostname: z.string().optional(),
    })
    .default({}),
});

export const resourceRowSchema = z.object({
  kind: z.string(),
  name: z.string(),
  condition: z.string().describe('The kind-specific ready condition, e.g. ConnectorReady'),
  ready: conditionStatusSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  connector: z
    .object({
      hostname: z.string().optional(),
      subnetRoutes: z.array(z.string()).describe('Routes advertised (status, else spec)'),
      exitNode: z.boolean(),
      appConnector: z.boolean(),
      tailnetIPs: z.array(z.string()),
    })
    .optional()
    .describe('For a Connector: what it offers the tailnet'),
});

export const kindRowSchema = z.object({
  kind: z.string(),
  resource: z.string(),
  served: z.boolean().describe('Whether this operator version has the kind'),
  count: z.number().int(),
});
type ResourceRow = z.infer<typeof resourceRowSchema>;

const NOT_INSTALLED = `the Tailscale operator is not installed (${GROUP}/${VERSION} is not served)`;

export interface TailscaleData {
  /** Where the operator pods were looked for (config tailscale.namespace). */
  namespace: string;
  pods: PodRow[];
  kinds: Array<z.infer<typeof kindRowSchema>>;
  resources: ResourceRow[];
}

/** One operator kind: its row, its resources and their findings, for the caller to merge in KINDS' order. */
async function readKind(
  reads: Reads,
  k: (typeof KINDS)[number],
): Promise<{ row: z.infer<typeof kindRowSchema>; resources: ResourceRow[]; findings: Finding[] }> {
  const resources: ResourceRow[] = [];
  const findings: Finding[] = [];
  // Older operator releases lack the newer kinds: not serving one is no problem.
  const has = await reads.serves(GROUP, VERSION, k.resource);
  let count = 0;
  if (has) {
    await reads.list({ ref: { group: GROUP, version: VERSION, resource: k.resource }, kind: k.kind, schema: tailscaleObjectSchema }, (obj) => {
      count++;
      const cond = obj.status.conditions?.find((c) => c.type === k.condition);
      const ready = conditionStatus(obj, k.condition);
      const name = obj.metadata.name;
      if (ready !== 'True') {
        const available = k.kind === 'ProxyGroup' && obj.status.conditions?.some((c) => c.type === 'ProxyGroupAvailable' && c.status === 'True');
        findings.push({
          severity: available ? 'warn' : 'crit',
          kind: k.kind,
          name,
          reason: cond?.reason ?? 'NotReady',
          message: `${k.condition}=${ready}: ${cond?.message ?? 'the operator has not reported on it (is it running?)'}${available ? ' (some replicas are available)' : ''}`,
        });
      } else if (cond?.observedGeneration !== undefined && obj.metadata.generation !== undefined && cond.observedGeneration < obj.metadata.generation) {
        findings.push({
          severity: 'warn',
          kind: k.kind,
          name,
          reason: 'Stale',
          message: `${k.condition} is for generation ${cond.observedGeneration}, the spec is at ${obj.metadata.generation}: the operator has not caught up`,
        });
      }
      const row: ResourceRow = { kind: k.kind, name, condition: k.condition, ready, reason: cond?.reason, message: cond?.message };
      if (k.kind === 'Connector') {
        const routes = obj.status.subnetRoutes
          ? obj.status.subnetRoutes
              .split(',')
              .map((r) => r.trim())
              .filter(Boolean)
          : (obj.spec.subnetRouter?.advertiseRoutes ?? []);
        row.connector = {
          hostname: obj.status.hostname ?? obj.spec.hostname ?? obj.spec.hostnamePrefix,
          subnetRoutes: routes,
          exitNode: obj.status.isExitNode ?? obj.spec.exitNode ?? false,
          appConnector: obj.status.isAppConnector ?? Boolean(obj.spec.appConnector),
          tailnetIPs: obj.status.tailnetIPs ?? [],
        };
      }
      resources.push(row);
    });
  }
  return { row: { kind: k.kind, resource: k.resource, served: has === true, count }, resources, findings };
}

/** The operator's pods and every operator resource this cluster serves, each by its own ready condition. */
async function checkTailscale(ctx: OpContext): Promise<CheckReport<TailscaleData>> {
  const namespace = ctx.config.tailscale.namespace;
  const reads = new Reads(ctx);
  const findings: Finding[] = [];

  const pods: PodRow[] = [];
  // The pods, discovery and each kind's list are independent: asked together, merged in KINDS' order.
  const podsRead = reads.list(
    { ref: { group: '', version: 'v1', resource: 'pods', namespace }, kind: 'Pod', schema: podSchema, impact: 'the operator and proxy pods are not shown' },
    (pod) => {
      if (pod.status.phase === 'Succeeded') return;
      const row = podRow(pod);
      pods.push(row);
      if (!row.ready) {
        findings.push({
          severity: 'crit',
          kind: 'Pod',
          namespace,
          name: row.name,
          reason: row.reason ?? 'NotReady',
          message: `not ready (${row.containers} containers ready, ${row.restarts} restarts, phase ${row.phase})`,
        });
      }
    },
  );
  // Discovery that fails throws: whether the operator is installed is then unknown, never "not installed".
  const [podsDone, served] = await Promise.all([podsRead, ctx.kube.servedVersions(GROUP).then((versions) => versions.includes(VERSION))]);
  pods.sort((a, b) => compareText(a.name, b.name));
  const kinds: Array<z.infer<typeof kindRowSchema>> = [];
  const resources: ResourceRow[] = [];
  const perKind = served ? await Promise.all(KINDS.map((k) => readKind(reads, k))) : [];
  for (const read of perKind) {
    kinds.push(read.row);
    resources.push(...read.resources);
    findings.push(...read.findings);
  }

  const problems = reads.finish();
  let note: string | undefined;
  if (!served) {
    note = `${NOT_INSTALLED}${pods.length ? `; ${plural(pods.length, 'pod')} found in namespace ${namespace}` : ''}`;
  } else if (podsDone && !pods.length) {
    findings.push({
      severity: 'warn',
      kind: 'Namespace',
      name: namespace,
      reason: 'NoOperatorPods',
      message: `no pods in namespace ${namespace}: is the operator running, or installed elsewhere (set tailscale.namespace in the config)?`,
    });
  }
  return reads.report({
    installed: served,
    note,
    findings: [...findings, ...problems],
    subject: { kind: 'Namespace', name: namespace },
    scope: `${plural(pods.length, 'pod')} in ${namespace}, ${plural(resources.length, 'operator resource')}`,
    data: { namespace, pods, kinds, resources },
  });
}

export const tailscaleCheck: Check<object, TailscaleData> = {
  name: 'tailscale',
  about: "the operator's pods, Connectors, ProxyGroups and other resources",
  rbac: [{ apiGroup: '', resource: 'pods', verbs: ['list'] }, ...KINDS.map((k): RbacRule => ({ apiGroup: GROUP, resource: k.resource, verbs: ['list'] }))],
  run: checkTailscale,
};
