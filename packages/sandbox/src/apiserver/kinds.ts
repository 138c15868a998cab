/**
 * The kinds table: every API resource the sandbox can serve. Built-in types are listed here;
 * a scenario adds custom resources (CRDs) to the same table. The store and the server are
 * generic over it.
 */
export interface SubresourceDef {
  name: string; // 'log', 'exec', 'status', 'scale'
  kind: string;
  verbs: string[];
  group?: string; // for subresources served as another group's kind (Scale is autoscaling/v1)
  version?: string;
}

export interface ResourceDef {
  group: string; // '' for core
  versions: string[]; // served versions, preferred first
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceDef[];
  /** a custom resource: strategic merge patch is refused with 415, as the real server does */
  custom: boolean;
  /** a CRD's additionalPrinterColumns */
  printerColumns?: PrinterColumnDef[];
}

export interface PrinterColumnDef {
  name: string;
  type: string;
  jsonPath: string;
  priority: number;
  description?: string;
  format?: string;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const RO = ['get', 'list'];
const STATUS: SubresourceDef = { name: 'status', kind: '', verbs: ['get', 'patch', 'update'] };
const SCALE: SubresourceDef = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

interface Short {
  g?: string;
  v?: string[];
  kind: string;
  plural: string;
  ns?: boolean;
  short?: string[];
  cat?: string[];
  verbs?: string[];
  sub?: SubresourceDef[];
}

function def(s: Short): ResourceDef {
  return {
    group: s.g ?? '',
    versions: s.v ?? ['v1'],
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.ns ?? true,
    shortNames: s.short ?? [],
    categories: s.cat ?? [],
    verbs: s.verbs ?? RW,
    subresources: (s.sub ?? []).map((r) => ({ ...r, kind: r.kind || s.kind })),
    custom: false,
  };
}

export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  def({ kind: 'ConfigMap', plural: 'configmaps', short: ['cm'] }),
  def({ kind: 'Endpoints', plural: 'endpoints', short: ['ep'] }),
  def({ kind: 'Event', plural: 'events', short: ['ev'] }),
  def({
    kind: 'Namespace',
    plural: 'namespaces',
    ns: false,
    short: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    sub: [{ name: 'finalize', kind: '', verbs: ['update'] }, STATUS],
  }),
  def({
    kind: 'Node',
    plural: 'nodes',
    ns: false,
    short: ['no'],
    sub: [{ name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }, STATUS],
  }),
  def({ kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', short: ['pvc'], sub: [STATUS] }),
  def({ kind: 'PersistentVolume', plural: 'persistentvolumes', ns: false, short: ['pv'], sub: [STATUS] }),
  def({
    kind: 'Pod',
    plural: 'pods',
    short: ['po'],
    cat: ['all'],
    sub: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'ephemeralcontainers', kind: '', verbs: ['get', 'patch', 'update'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: '', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      STATUS,
    ],
  }),
  def({ kind: 'Secret', plural: 'secrets' }),
  def({
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    short: ['sa'],
    sub: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  }),
  def({
    kind: 'Service',
    plural: 'services',
    short: ['svc'],
    cat: ['all'],
    sub: [{ name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }, STATUS],
  }),
  def({ g: 'apps', kind: 'DaemonSet', plural: 'daemonsets', short: ['ds'], cat: ['all'], sub: [STATUS] }),
  def({ g: 'apps', kind: 'Deployment', plural: 'deployments', short: ['deploy'], cat: ['all'], sub: [SCALE, STATUS] }),
  def({ g: 'apps', kind: 'ReplicaSet', plural: 'replicasets', short: ['rs'], cat: ['all'], sub: [SCALE, STATUS] }),
  def({ g: 'apps', kind: 'StatefulSet', plural: 'statefulsets', short: ['sts'], cat: ['all'], sub: [SCALE, STATUS] }),
  def({ g: 'batch', kind: 'CronJob', plural: 'cronjobs', short: ['cj'], cat: ['all'], sub: [STATUS] }),
  def({ g: 'batch', kind: 'Job', plural: 'jobs', cat: ['all'], sub: [STATUS] }),
  def({ g: 'networking.k8s.io', kind: 'Ingress', plural: 'ingresses', short: ['ing'], sub: [STATUS] }),
  def({ g: 'networking.k8s.io', kind: 'IngressClass', plural: 'ingressclasses', ns: false }),
  def({ g: 'networking.k8s.io', kind: 'NetworkPolicy', plural: 'networkpolicies', short: ['netpol'] }),
  def({ g: 'storage.k8s.io', kind: 'StorageClass', plural: 'storageclasses', ns: false, short: ['sc'] }),
  def({ g: 'metrics.k8s.io', v: ['v1beta1'], kind: 'NodeMetrics', plural: 'nodes', ns: false, verbs: RO }),
  def({ g: 'metrics.k8s.io', v: ['v1beta1'], kind: 'PodMetrics', plural: 'pods', verbs: RO }),
  // asked, answered and never stored (reviews.ts)
  def({ g: 'authentication.k8s.io', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', ns: false, verbs: ['create'] }),
  def({ g: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', ns: false, verbs: ['create'] }),
  def({ g: 'authorization.k8s.io', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', ns: false, verbs: ['create'] }),
];

export interface CustomResourceSpec {
  group: string;
  versions: string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
  listKind?: string;
  subresources?: ('status' | 'scale')[];
  printerColumns?: PrinterColumnDef[];
}

export function customResource(spec: CustomResourceSpec): ResourceDef {
  return {
    group: spec.group,
    versions: sortVersions(spec.versions),
    kind: spec.kind,
    listKind: spec.listKind ?? `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.singular ?? spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: RW,
    subresources: (spec.subresources ?? ['status']).map((s) => (s === 'status' ? { ...STATUS, kind: spec.kind } : SCALE)),
    custom: true,
    ...(spec.printerColumns?.length ? { printerColumns: spec.printerColumns } : {}),
  };
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return rb[0] - ra[0] || rb[1] - ra[1] || rb[2] - ra[2];
  });
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The set of resources one sandbox serves (built-ins minus disabled groups, plus the scenario's CRDs). */
export class KindRegistry {
  readonly resources: ResourceDef[];
  constructor(resources: ResourceDef[]) {
    this.resources = resources;
  }

  /** groups in discovery order (core first, then as declared) with their versions */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const r of this.resources) {
      const set = out.get(r.group) ?? new Set<string>();
      for (const v of r.versions) set.add(v);
      out.set(r.group, set);
    }
    return [...out].map(([group, set]) => ({ group, versions: sortVersions([...set]) }));
  }

  servesGroupVersion(group: string, version: string): boolean {
    return this.resources.some((r) => r.group === group && r.versions.includes(version));
  }

  /** the resource served at GROUP/VERSION/plural */
  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.resources.find((r) => r.group === group && r.plural === plural && r.versions.includes(version));
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/', 2) as [string, string]) : ['', apiVersion];
    return this.resources.find((r) => r.group === group && r.kind === kind && r.versions.includes(version));
  }

  /** 'pods', 'deployments.apps', 'apps/deployments', 'helmreleases.helm.toolkit.fluxcd.io' */
  resolve(name: string): ResourceDef {
    let r: ResourceDef | undefined;
    if (name.includes('/')) {
      const i = name.lastIndexOf('/');
      const group = name.slice(0, i);
      const plural = name.slice(i + 1);
      r = this.resources.find((x) => x.group === group && x.plural === plural);
    } else if (name.includes('.')) {
      const i = name.indexOf('.');
      const plural = name.slice(0, i);
      const group = name.slice(i + 1);
      r = this.resources.find((x) => x.group === group && x.plural === plural);
    } else {
      r = this.resources.find((x) => x.plural === name && x.group === '') ?? this.resources.find((x) => x.plural === name || x.kind === name);
    }
    if (!r) throw new Error(`sandbox: unknown resource ${name}`);
    return r;
  }
}

export const storageKey = (r: Pick<ResourceDef, 'group' | 'plural'>): string => `${r.group}/${r.plural}`;
