import { z } from 'zod';
import { defineOp, type OpContext } from '../../core/op.js';
import { NotFound, UserError, isHomelabError } from '../../core/errors.js';
import type { ApiDiscovery, ApiResource, KubeObject, Page } from '../../core/ports/kube.js';
import { namespaceSchema, objectNameSchema } from '../../core/schemas.js';
import { conditionsOf } from '../shared/conditions.js';
import { eventLastSeen } from '../shared/events.js';
import { eventSchema } from '../shared/k8s.js';
import { plural } from '../shared/format.js';
import { SECRET_NOTE, fitObject, presentObject } from './present.js';
import { holdsSecrets, qualifiedName, refOf, resolveResource, resourceInfo, resourceInfoSchema, resourceOfKind } from './resources.js';
import { VIEW_RBAC, kindSchema, splitKindName } from './view.js';

/** How far an owner chain is followed (Pod → ReplicaSet → Deployment is two). */
const MAX_OWNERS = 5;
/** Annotation values and event messages are cut at this many characters. */
const TEXT_MAX = 300;
/** Flux's labels on what it applies: the Kustomization or HelmRelease that manages an object. */
const FLUX_LABELS = [
  { kind: 'HelmRelease', name: 'helm.toolkit.fluxcd.io/name', namespace: 'helm.toolkit.fluxcd.io/namespace' },
  { kind: 'Kustomization', name: 'kustomize.toolkit.fluxcd.io/name', namespace: 'kustomize.toolkit.fluxcd.io/namespace' },
] as const;

const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const ownerSchema = z.object({
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
  via: z.enum(['ownerReference', 'label']).describe('An owner reference, or a Flux label naming what applied it'),
  state: z
    .enum(['found', 'missing', 'unreadable', 'not read'])
    .describe('found; missing (deleted: an orphan); unreadable (refused or not served); not read (named by a label)'),
  note: z.string().optional(),
});

const eventRowSchema = z.object({
  type: z.string(),
  reason: z.string(),
  message: z.string(),
  count: z.number().int(),
  lastSeen: z.string().optional(),
  from: z.string().optional(),
});

const output = resourceInfoSchema.extend({
  namespace: z.string().optional(),
  name: z.string(),
  printed: z.record(z.string(), cellSchema).describe("The server's printer columns for it (kubectl get -o wide)"),
  created: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  conditions: z.array(
    z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional(), since: z.string().optional() }),
  ),
  owners: z.array(ownerSchema).describe('Who owns it, nearest first, then what applied it'),
  events: z.array(eventRowSchema).describe('Its newest events first'),
  eventsTotal: z.number().int(),
  eventReasons: z.record(z.string(), z.number().int()).describe('Events by reason, all of them'),
  object: z.record(z.string(), z.unknown()).optional().describe('The rest of the object (spec, status), cut to maxBytes; absent for Secrets'),
  notes: z.array(z.string()),
});
type Output = z.infer<typeof output>;
type Owner = z.infer<typeof ownerSchema>;

/** An event, with who reported it (source.component, or reportingComponent of events.k8s.io-era writers). */
const describedEventSchema = eventSchema.extend({
  source: z.looseObject({ component: z.string().optional() }).nullish(),
  reportingComponent: z.string().nullish(),
});

const cut = (text: string) => (text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text);

/** A namespaced object named without a namespace: the one namespace it is in, or why not. */
async function findNamespace(ctx: OpContext, resource: ApiResource, name: string, strict: boolean): Promise<string> {
  const page = await ctx.kube.listPage(refOf(resource), { as: 'metadata', strict, fieldSelector: `metadata.name=${name}`, limit: 20 });
  const namespaces = page.items.map((o) => o.metadata.namespace ?? '');
  if (namespaces.length === 1) return namespaces[0] as string;
  if (!namespaces.length) throw new NotFound(`${qualifiedName(resource)} "${name}" not found in any namespace`);
  throw new UserError(
    `${qualifiedName(resource)} "${name}" exists in ${plural(namespaces.length, 'namespace')} (${namespaces.join(', ')}${page.continue ? ', …' : ''}): say which with namespace (-n)`,
  );
}

/** The owner chain through ownerReferences (the controller first), each owner read as metadata only. */
async function ownerChain(ctx: OpContext, discovery: ApiDiscovery, obj: KubeObject): Promise<Owner[]> {
  const owners: Owner[] = [];
  let current = obj;
  while (owners.length < MAX_OWNERS) {
    const refs = current.metadata.ownerReferences ?? [];
    const ref = refs.find((r) => r.controller) ?? refs[0];
    if (!ref) break;
    const served = resourceOfKind(discovery, ref.apiVersion, ref.kind);
    const namespace = served?.namespaced ? current.metadata.namespace : undefined;
    const owner: Owner = { kind: ref.kind, ...(namespace ? { namespace } : {}), name: ref.name, via: 'ownerReference', state: 'found' };
    owners.push(owner);
    if (!served) {
      Object.assign(owner, { state: 'unreadable', note: `${ref.apiVersion} ${ref.kind} is not served by this cluster` });
      break;
    }
    try {
      const page = await ctx.kube.read(refOf(served, namespace), ref.name, { as: 'metadata', strict: holdsSecrets(served) });
      const found = page.items[0];
      if (!found) break;
      if (found.metadata.uid && ref.uid && found.metadata.uid !== ref.uid) {
        Object.assign(owner, { state: 'missing', note: 'an object of that name exists, but not the one that owned this (another uid)' });
        break;
      }
      current = found;
    } catch (err) {
      if (!isHomelabError(err) || ctx.signal.aborted) throw err;
      Object.assign(
        owner,
        err.kind === 'NotFound'
          ? { state: 'missing', note: 'deleted: this object is an orphan unless the garbage collector removes it' }
          : { state: 'unreadable', note: err.message },
      );
      break;
    }
  }
  // What Flux applied: named by its labels on the object or on the top of its chain.
  for (const holder of [obj, current]) {
    for (const flux of FLUX_LABELS) {
      const name = holder.metadata.labels?.[flux.name];
      if (!name || owners.some((o) => o.kind === flux.kind && o.name === name)) continue;
      const namespace = holder.metadata.labels?.[flux.namespace];
      owners.push({ kind: flux.kind, ...(namespace ? { namespace } : {}), name, via: 'label', state: 'not read', note: `label ${flux.name}` });
    }
  }
  return owners;
}

/** Its events, as kubectl describe finds them (involvedObject name, namespace, kind and uid). */
async function eventsOf(
  ctx: OpContext,
  obj: KubeObject,
  kind: string,
  show: number,
): Promise<Pick<Output, 'events' | 'eventsTotal' | 'eventReasons'> & { note?: string }> {
  const { name, namespace, uid } = obj.metadata;
  const selector = [
    `involvedObject.name=${name}`,
    ...(namespace ? [`involvedObject.namespace=${namespace}`] : []),
    `involvedObject.kind=${kind}`,
    ...(uid ? [`involvedObject.uid=${uid}`] : []),
  ].join(',');
  let page: Page;
  try {
    page = await ctx.kube.listPage(
      { group: '', version: 'v1', resource: 'events', ...(namespace ? { namespace } : {}) },
      { as: 'objects', fieldSelector: selector, limit: 500 },
    );
  } catch (err) {
    if (!isHomelabError(err) || ctx.signal.aborted) throw err;
    return { events: [], eventsTotal: 0, eventReasons: {}, note: `events not shown: ${err.message}` };
  }
  const parsed = page.items
    .map((raw) => describedEventSchema.safeParse(raw))
    .filter((r) => r.success)
    .map((r) => r.data);
  const eventReasons: Record<string, number> = {};
  for (const e of parsed) eventReasons[e.reason ?? ''] = (eventReasons[e.reason ?? ''] ?? 0) + 1;
  const newest = parsed.sort((a, b) => (Date.parse(eventLastSeen(b) ?? '') || 0) - (Date.parse(eventLastSeen(a) ?? '') || 0)).slice(0, show);
  return {
    events: newest.map((e) => {
      const source = e.source?.component || e.reportingComponent || undefined;
      return {
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: cut((e.message ?? '').trim()),
        count: e.series?.count ?? e.count ?? 1,
        lastSeen: eventLastSeen(e),
        ...(source ? { from: source } : {}),
      };
    }),
    eventsTotal: parsed.length,
    eventReasons,
    ...(page.continue ? { note: 'more than 500 events: the newest of the first 500 are shown' } : {}),
  };
}

export default defineOp({
  name: 'k8s_describe',
  title: 'Describe any Kubernetes object',
  description: 'As kubectl describe: conditions, owners up to its Flux object, newest events, the object cut to maxBytes. Use it to see why one thing fails.',
  effect: 'read',
  input: z
    .object({
      kind: kindSchema.describe('As kubectl: pod, deploy, hr, KIND/NAME'),
      name: objectNameSchema.optional().describe('Or give KIND/NAME'),
      namespace: namespaceSchema.optional().describe('Default: looked for in every namespace'),
      events: z.number().int().min(0).max(50).default(8),
      maxBytes: z
        .number()
        .int()
        .min(1000)
        .max(4 * 1024 * 1024)
        .default(3000),
    })
    .strict(),
  output,
  args: ['kind', 'name'],
  rbac: VIEW_RBAC,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const { kind: typed, name } = splitKindName(input.kind, input.name);
    if (name === undefined) throw new UserError('NAME is required: describe one object (KIND NAME, or KIND/NAME)');
    objectNameSchema.parse(name);
    const discovery = await ctx.kube.apiResources();
    const resource = resolveResource(typed, discovery);
    const secret = holdsSecrets(resource);
    const notes: string[] = [];
    if (input.namespace && !resource.namespaced) notes.push(`${qualifiedName(resource)} are cluster-scoped: the namespace is not used`);
    const namespace = resource.namespaced ? (input.namespace ?? (await findNamespace(ctx, resource, name, secret))) : undefined;
    const ref = refOf(resource, namespace);
    // The printer columns and metadata, then (never for Secrets) the object itself.
    const [printedPage, full] = await Promise.all([
      ctx.kube.read(ref, name, { as: 'table', strict: secret }),
      secret ? Promise.resolve(undefined) : ctx.kube.read(ref, name, { as: 'objects' }),
    ]);
    const raw = full?.items[0] ?? printedPage.items[0];
    if (!raw) throw new NotFound(`${qualifiedName(resource)} "${name}" not found${namespace ? ` in namespace ${namespace}` : ''}`);
    const { object, notes: presentNotes } = presentObject(raw, resource);
    notes.push(...presentNotes);
    if (secret && !notes.includes(SECRET_NOTE)) notes.push(SECRET_NOTE);

    const printed: Output['printed'] = {};
    const table = printedPage.table;
    table?.columns.forEach((column, i) => {
      if (column.format === 'name') return;
      const cell = table.rows[0]?.[i];
      printed[column.name] = cell === undefined || cell === null ? null : typeof cell === 'object' ? JSON.stringify(cell) : (cell as string | number | boolean);
    });
    const [owners, events] = await Promise.all([ownerChain(ctx, discovery, raw), eventsOf(ctx, raw, resource.kind, input.events)]);
    if (events.note) notes.push(events.note);

    const { metadata } = object;
    const annotations = Object.fromEntries(Object.entries(metadata.annotations ?? {}).map(([k, v]) => [k, cut(v)]));
    const conditions = conditionsOf(raw).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: cut(c.message) } : {}),
      ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}),
    }));
    const answer: Output = {
      ...resourceInfo(resource),
      ...(namespace ? { namespace } : {}),
      name,
      printed,
      ...(metadata.creationTimestamp ? { created: metadata.creationTimestamp } : {}),
      labels: metadata.labels ?? {},
      annotations,
      conditions,
      owners,
      events: events.events,
      eventsTotal: events.eventsTotal,
      eventReasons: events.eventReasons,
      notes,
    };
    if (!secret) {
      // The rest of the object: what the fields above do not already say.
      const { metadata: _metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = object;
      // What went wrong is in status: the spec goes first when something must.
      const fitted = fitObject({ metadata: { name }, ...rest }, input.maxBytes, ['status']);
      const { metadata: _name, ...shown } = fitted.object;
      if (fitted.cut)
        notes.push(`the object is larger than maxBytes (${input.maxBytes}): its largest parts are not shown; raise maxBytes, or get it with output json`);
      answer.object = shown;
    }
    return answer;
  },
  summarize(out) {
    const where = out.namespace ? `${out.namespace}/` : '';
    const conditions = out.conditions.map((c) => `${c.type}=${c.status}`).join(', ');
    const warnings = out.events.filter((e) => e.type === 'Warning').length;
    const owner = out.owners.find((o) => o.via === 'ownerReference');
    return {
      verdict: 'ok',
      line: `${out.kind} ${where}${out.name}${owner ? ` (owned by ${owner.kind} ${owner.name})` : ''}${conditions ? `: ${conditions}` : ''}; ${plural(out.eventsTotal, 'event')}${warnings ? `, ${warnings} Warning among the newest` : ''}`,
    };
  },
});
