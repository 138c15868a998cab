import { NotFound, isHomelabError } from '../../core/errors.js';
import { formatAge } from '../../core/schemas.js';
import { listAll, type KubeObject, type ResourceRef } from '../../core/ports/kube.js';
import { ageMs, metadataSchema, podSchema, type Pod } from '../shared/k8s.js';
import { sortFindings } from '../shared/findings.js';
import { fix } from '../shared/fix.js';
import { plural } from '../shared/format.js';
import { latestEvent } from '../shared/events.js';
import { podRow } from '../shared/pods.js';
import { podProblems } from '../cluster/pods-check.js';
import { ingressCheck, type IngressData } from '../ingress/ingress-check.js';
import { certificatesCheck } from '../certs/certificates-check.js';
import { secretsCheck, type SecretsData } from '../secrets/secrets-check.js';
import type { CheckReport } from '../shared/check.js';
import { findDnsPods } from '../dns/dig.js';
import dnsDiagnose from '../dns/dns-diagnose.js';
import type { Chain } from './links.js';
import { fromFinding, isBroken, stateOf, type Link } from './links.js';
import { judgeWorkload, podInputs, pvcSchema, selectorText, selects, serviceSchema, workloadSchema, type Service, type Workload } from './objects.js';

const core = (resource: string, namespace?: string): ResourceRef => ({ group: '', version: 'v1', resource, namespace });
const apps = (resource: string, namespace?: string): ResourceRef => ({ group: 'apps', version: 'v1', resource, namespace });
const WORKLOAD_RESOURCES: Record<string, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
};

/** Lines of a crashed container's log shown as evidence, and the bytes read for them. */
const LOG_LINES = 5;
const LOG_BYTES = 4096;
/** Owners (workloads) followed behind one Service's pods. */
const MAX_OWNERS = 3;

// ------------------------------------------------------------------ DNS

/** The hostname asked at every hop of the home DNS (dns_diagnose), when a Pi-hole pod runs in dns.namespace. */
export async function dnsLink(chain: Chain, host: string): Promise<void> {
  const { ctx } = chain;
  const what = { kind: 'DNS', name: host };
  const pods = await chain.read(what, () => findDnsPods(ctx));
  if (!pods) return;
  if (!pods.pihole.length) {
    chain.add({ ...what, state: 'skipped', detail: `not checked: no Pi-hole pod in namespace ${pods.namespace} (config dns.namespace)` });
    return;
  }
  const out = await chain.read(what, () => dnsDiagnose.run(ctx, { name: host, type: 'A' }));
  if (!out) return;
  const pihole = out.hops.find((h) => h.hop === 'pihole');
  const evidence = out.hops.filter((h) => h.state !== 'skipped' && h.state !== 'ok').map((h) => `${h.label}: ${h.note}`);
  const explain = fix('dns_diagnose', { name: host });
  if (out.verdict === 'ok') {
    chain.add({ ...what, state: 'ok', detail: `Pi-hole answers ${pihole?.note ?? out.conclusion}` });
  } else if (out.failingHop) {
    chain.add({ ...what, state: out.verdict, detail: `fails at ${out.failingHop}: ${out.conclusion}`, evidence, fix: explain });
  } else if (pihole?.result?.reached) {
    chain.add({ ...what, state: 'warn', detail: out.conclusion, evidence, fix: explain });
  } else {
    // dig itself could not run: nothing was learnt about the name.
    chain.add({ ...what, state: 'unknown', detail: `could not check: ${out.conclusion}` });
  }
}

// ------------------------------------------------------------------ Ingress and its TLS

type IngressRow = IngressData['ingresses'][number];
type PathRow = IngressRow['paths'][number];

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host || pattern === '*') return true;
  return pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes('.');
}

/** The path a request for host+path takes: the host's rules, the longest matching path. */
function pathFor(row: IngressRow, host: string | undefined, path: string): PathRow | undefined {
  const candidates = row.paths.filter((p) => !host || hostMatches(p.host, host));
  return candidates.filter((p) => p.path === '(default)' || path.startsWith(p.path)).sort((a, b) => b.path.length - a.path.length)[0] ?? candidates[0];
}

/** Ingresses with a rule for the host, the most specific path first. */
export async function ingressesFor(chain: Chain, host: string, path: string, namespace: string | undefined): Promise<KubeObject[] | undefined> {
  const ref: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespace };
  const all = await chain.read({ kind: 'Ingress', name: host }, () => listAll(chain.ctx.kube, ref));
  if (!all) return undefined;
  const rules = (o: KubeObject) => (o.spec as { rules?: Array<{ host?: string; http?: { paths?: Array<{ path?: string }> } }> } | undefined)?.rules ?? [];
  const best = (o: KubeObject) =>
    Math.max(
      -1,
      ...rules(o)
        .filter((r) => r.host && hostMatches(r.host, host))
        .flatMap((r) => (r.http?.paths ?? []).map((p) => p.path ?? '/'))
        .filter((p) => path.startsWith(p))
        .map((p) => p.length),
    );
  return all.filter((o) => rules(o).some((r) => r.host && hostMatches(r.host, host))).sort((a, b) => best(b) - best(a));
}

/**
 * The Ingress (through the ingress check: its backend Service, port and ready endpoints) and the
 * TLS of the host (through the certificates check: the Certificate, and the CertificateRequest,
 * Order and Challenge of a failing issuance). Returns the backend Service to follow.
 */
export async function ingressLinks(
  chain: Chain,
  ingress: KubeObject,
  host: string | undefined,
  path: string,
): Promise<{ link?: Link; service?: string; port?: string; reasons: string[] }> {
  const { ctx } = chain;
  const namespace = ingress.metadata.namespace ?? '';
  const name = ingress.metadata.name;
  chain.saw(ingress.metadata);
  const tlsSecrets = ((ingress.spec as { tls?: Array<{ secretName?: string }> } | undefined)?.tls ?? []).filter((t) => t.secretName);
  const [ingressReport, certsReport] = await Promise.all([
    chain.read({ kind: 'Ingress', namespace, name }, () => ingressCheck.run(ctx, { namespace })),
    // Read beside the ingress check, not after it: the Certificate's requests, orders and challenges.
    tlsSecrets.length
      ? certificatesCheck.run(ctx, { namespace }).catch((err: unknown) => {
          if (ctx.signal.aborted || !isHomelabError(err)) throw err;
          return err;
        })
      : undefined,
  ]);
  const row = ingressReport?.data.ingresses.find((r) => r.name === name);
  if (!ingressReport || !row) return { reasons: [] };
  chain.unreadable(ingressReport.findings);
  const chosen = pathFor(row, host, path);
  const about = (text: string) => !chosen?.service || text.includes(chosen.service);
  const mine = ingressReport.findings.filter((f) => f.kind === 'Ingress' && f.namespace === namespace && f.name === name && about(f.message));
  const route = chosen ? `${chosen.host}${chosen.path === '(default)' ? ' (default backend)' : chosen.path} → ${chosen.backend}` : 'no rule for this host';
  const address = row.address.length > 2 ? `${row.address.slice(0, 2).join(', ')}, …` : row.address.join(', ');
  const where = [row.className && `class ${row.className}`, address && `at ${address}`].filter(Boolean).join(', ');
  const worst = sortFindings([...mine])[0];
  const link = chain.add({
    kind: 'Ingress',
    namespace,
    name,
    state: chosen ? stateOf(mine) : 'crit',
    detail: worst ? `${route}: ${worst.message}` : `${route}${where ? ` (${where})` : ''}`,
  });

  const tls = row.tls.find((t) => !host || !t.hosts.length || t.hosts.some((h) => hostMatches(h, host)));
  if (tls) tlsLinks(chain, namespace, tls, certsReport);
  return { link, service: chosen?.service, port: chosen?.port, reasons: mine.map((f) => f.reason) };
}

type TlsRow = IngressRow['tls'][number];
type CertsReport = Awaited<ReturnType<typeof certificatesCheck.run>>;

function tlsLinks(chain: Chain, namespace: string, tls: TlsRow, certs: CertsReport | unknown): void {
  if (tls.checkedBy === 'secret') {
    chain.add({
      kind: 'Secret',
      namespace,
      name: tls.secretName,
      state: tls.secretPresent ? 'ok' : 'crit',
      detail: tls.secretPresent ? 'the TLS Secret exists (only its name was read)' : `the TLS Secret for ${tls.hosts.join(', ') || 'the host'} does not exist`,
    });
    return;
  }
  const cert = tls.certificate;
  const report = certs && typeof certs === 'object' && 'data' in certs ? (certs as CertsReport) : undefined;
  if (tls.checkedBy === 'none' || !cert) {
    // Not checked by design (no Certificate manages it, homelab reads no Secrets), or because the Certificates could not be read.
    const failed = certs instanceof Error ? certs.message : undefined;
    chain.add({
      kind: 'Secret',
      namespace,
      name: tls.secretName,
      state: failed ? 'unknown' : 'skipped',
      detail: failed ? `TLS not checked: the Certificates could not be read: ${failed}` : (tls.note ?? 'TLS Secret not checked'),
    });
    return;
  }
  const findings = report?.findings.filter((f) => f.kind === 'Certificate' && f.namespace === namespace && f.name === cert.name) ?? [];
  const worst = findings[0];
  const days = cert.daysLeft === undefined ? '' : `, expires in ${Math.floor(cert.daysLeft)} days`;
  const link = chain.add({
    kind: 'Certificate',
    namespace,
    name: cert.name,
    state: stateOf(findings),
    detail: worst ? `${worst.reason}: ${worst.message}` : `Ready${days}`,
    ...(worst ? { fix: fix('certs_status', { namespace }) } : {}),
  });
  if (!report) {
    if (certs instanceof Error)
      chain.add({
        kind: 'CertificateRequest',
        namespace,
        name: cert.name,
        state: 'unknown',
        detail: `its requests, orders and challenges could not be read: ${certs.message}`,
      });
    return;
  }
  chain.unreadable(report.findings);
  // A failing issuance, request to challenge: the deepest one is where it fails.
  const order = ['CertificateRequest', 'Order', 'Challenge'];
  const failing = report.data.failing
    .filter((f) => f.namespace === namespace && f.certificate === cert.name)
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  let above = link;
  for (const f of failing) {
    const next = chain.add({
      kind: f.kind,
      namespace,
      name: f.name,
      state: /^(pending|processing|valid|ready)$/.test(f.state) ? 'warn' : 'crit',
      detail: `${f.state}: ${f.reason}`,
    });
    chain.explain(above, next);
    above = next;
  }
}

// ------------------------------------------------------------------ Service, its pods, their owners and inputs

/**
 * A Service by its selector: the pods it selects (none is a broken selector, unless a workload
 * whose pods it would select has none), the container port its targetPort names; then the pods.
 */
export async function serviceLinks(chain: Chain, namespace: string, name: string, port: string | undefined, known?: KubeObject): Promise<Link | undefined> {
  const { ctx } = chain;
  const what = { kind: 'Service', namespace, name };
  const raw =
    known ??
    (await chain.read(what, () =>
      ctx.kube.get(core('services', namespace), name).catch((err: unknown) => (err instanceof NotFound ? null : Promise.reject(err))),
    ));
  if (raw === undefined) return undefined;
  if (raw === null) return chain.add({ ...what, state: 'crit', detail: 'does not exist' });
  const svc = serviceSchema.parse(raw);
  chain.saw(svc.metadata);
  if (svc.spec.type === 'ExternalName')
    return chain.add({ ...what, state: 'ok', detail: `ExternalName: forwards to ${svc.spec.externalName ?? '?'} (outside the cluster, not followed)` });
  const selector = svc.spec.selector;
  if (!selector || !Object.keys(selector).length)
    return chain.add({ ...what, state: 'ok', detail: 'has no selector: its endpoints are set by hand, so no pods are followed' });
  const rawPods = await chain.read({ kind: 'Pod', namespace, name: selectorText(selector) }, () =>
    listAll(ctx.kube, core('pods', namespace), { labelSelector: selectorText(selector) }),
  );
  if (!rawPods) return undefined;
  if (!rawPods.length) return noPods(chain, svc, selector);

  const svcPort = svc.spec.ports.find((p) => (port === undefined ? true : String(p.port) === port || p.name === port)) ?? svc.spec.ports[0];
  const target = svcPort?.targetPort;
  const named = typeof target === 'string' ? target : undefined;
  const pods = rawPods.map((p) => podSchema.parse(p));
  const ready = pods.filter((p) => podRow(p).ready).length;
  const portText = svcPort ? `port ${svcPort.port}${target !== undefined && String(target) !== String(svcPort.port) ? ` → ${target}` : ''}` : 'no ports';
  // A targetPort naming no container port is the Service's own fault; no ready pod is its pods'.
  const portBroken = named !== undefined && !rawPods.some((p) => podInputs(p).ports.has(named));
  const link = portBroken
    ? chain.add({ ...what, state: 'crit', detail: `its targetPort ${named} names no container port of the ${plural(pods.length, 'pod')} it selects` })
    : chain.add({
        ...what,
        state: ready ? 'ok' : 'crit',
        detail: `selects ${plural(pods.length, 'pod')} (${selectorText(selector)}), ${ready} ready; ${portText}`,
      });
  const podLinks = await podsLinks(chain, namespace, rawPods);
  if (!portBroken) chain.explain(link, podLinks.find(isBroken));
  return link;
}

/**
 * A selector that matches no pod: a workload whose pods it would select but which has none (scaled
 * to zero, cannot create them) is the broken link; else the selector itself, with the labels the
 * namespace's workloads give their pods as evidence (a label changed on one side only).
 */
async function noPods(chain: Chain, svc: Service, selector: Record<string, string>): Promise<Link | undefined> {
  const { ctx } = chain;
  const namespace = svc.metadata.namespace ?? '';
  const what = { kind: 'Service', namespace, name: svc.metadata.name };
  const lists = await chain.read(what, () =>
    Promise.all(
      ['Deployment', 'StatefulSet', 'DaemonSet'].map(async (kind) =>
        (await listAll(ctx.kube, apps(WORKLOAD_RESOURCES[kind] as string, namespace))).map((raw) => ({ kind, raw })),
      ),
    ),
  );
  if (!lists) return undefined;
  const workloads = lists.flat().map(({ kind, raw }) => ({ kind, w: workloadSchema.parse(raw) }));
  const owner = workloads.find(({ w }) => selects(selector, w.spec.template?.metadata?.labels));
  const text = selectorText(selector);
  if (owner) {
    const link = chain.add({ ...what, state: 'crit', detail: `selects no pod (${text}): ${owner.kind} ${owner.w.metadata.name} would run them` });
    const workload = await workloadLink(chain, owner.kind, owner.w);
    chain.explain(link, workload);
    return link;
  }
  const keys = Object.keys(selector);
  // The workloads nearest the selector first: most of its labels matched, then the one named like the Service.
  const nearness = (w: Workload) =>
    Object.entries(selector).filter(([k, v]) => w.spec.template?.metadata?.labels?.[k] === v).length * 2 + (w.metadata.name === svc.metadata.name ? 1 : 0);
  const nearest = [...workloads].sort((a, b) => nearness(b.w) - nearness(a.w));
  const evidence = nearest.slice(0, 3).map(({ kind, w }) => {
    const tpl = w.spec.template?.metadata?.labels ?? {};
    const shown = Object.entries(tpl).filter(([k]) => keys.includes(k));
    return `${kind} ${w.metadata.name} labels its pods ${(shown.length ? shown : Object.entries(tpl).slice(0, 3)).map(([k, v]) => `${k}=${v}`).join(',') || '(no labels)'}`;
  });
  return chain.add({
    ...what,
    state: 'crit',
    detail: `its selector ${text} matches no pod in ${namespace}${workloads.length ? ', and no workload here labels its pods so: the selector and the pod labels differ' : ''}`,
    evidence: [`selector: ${text}`, ...evidence],
  });
}

/** A workload's own link: what its controller reports (judgeWorkload). */
async function workloadLink(chain: Chain, kind: string, w: ReturnType<typeof workloadSchema.parse>): Promise<Link> {
  const namespace = w.metadata.namespace ?? '';
  chain.saw(w.metadata);
  const existing = chain.find(kind, namespace, w.metadata.name);
  if (existing) return existing;
  const { state, detail } = judgeWorkload(kind, w);
  return chain.add({ kind, namespace, name: w.metadata.name, state, detail });
}

/** The top-level owner of a pod: its ReplicaSet's Deployment, its StatefulSet or DaemonSet. */
async function ownerOf(chain: Chain, namespace: string, pod: Pod): Promise<{ kind: string; raw: KubeObject } | undefined> {
  const { ctx } = chain;
  const owner = pod.metadata.ownerReferences?.find((o) => (o as { controller?: boolean }).controller !== false) ?? pod.metadata.ownerReferences?.[0];
  const resource = owner ? WORKLOAD_RESOURCES[owner.kind] : undefined;
  if (!owner || !resource) return undefined;
  const raw = await chain.read({ kind: owner.kind, namespace, name: owner.name }, () => ctx.kube.get(apps(resource, namespace), owner.name));
  if (!raw || owner.kind !== 'ReplicaSet') return raw ? { kind: owner.kind, raw } : undefined;
  const parent = metadataSchema.parse(raw.metadata).ownerReferences?.find((o) => o.kind === 'Deployment');
  if (!parent) return { kind: 'ReplicaSet', raw };
  const deployment = await chain.read({ kind: 'Deployment', namespace, name: parent.name }, () => ctx.kube.get(apps('deployments', namespace), parent.name));
  return deployment ? { kind: 'Deployment', raw: deployment } : undefined;
}

/** The last lines a container wrote before it died (or, running, lately), for evidence. */
async function lastWords(chain: Chain, pod: Pod, container: string, previous: boolean): Promise<string[]> {
  try {
    const text = await chain.ctx.kube.logs(pod.metadata.namespace ?? '', pod.metadata.name, {
      container,
      previous,
      tailLines: LOG_LINES,
      limitBytes: LOG_BYTES,
    });
    return text
      .split('\n')
      .filter((l) => l.trim())
      .slice(-LOG_LINES)
      .map((l) => `${previous ? 'last log (previous)' : 'log'}: ${l}`);
  } catch (err) {
    if (chain.ctx.signal.aborted) throw err;
    return [];
  }
}

/** Why the worst pod is as it is: its newest Warning event, and the last log lines of a container that ran and died. */
async function podEvidence(chain: Chain, pod: Pod, reason: string): Promise<string[]> {
  const namespace = pod.metadata.namespace ?? '';
  const statuses = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
  const died = statuses.find((c) => c.lastState?.terminated || c.state?.terminated) ?? statuses.find((c) => c.ready === false && c.state?.running);
  const ran = died && !['ImagePullBackOff', 'ErrImagePull', 'Unschedulable', 'CreateContainerConfigError'].includes(reason);
  const [event, logs] = await Promise.all([
    latestEvent(chain.ctx, { kind: 'Pod', namespace, name: pod.metadata.name }).catch((err: unknown) => {
      if (chain.ctx.signal.aborted) throw err;
      return undefined;
    }),
    ran && died ? lastWords(chain, pod, died.name, Boolean(died.lastState?.terminated)) : Promise.resolve([]),
  ]);
  return [...(event ? [`event: ${event.message}`] : []), ...logs];
}

/**
 * Pods grouped by their owner: one link per group (the worst pod named, podProblems as the pods
 * check judges them, with its evidence), its owner (Deployment, StatefulSet, DaemonSet), and what
 * its pods are made from: PVCs and the ExternalSecrets that write the Secrets they read.
 */
export async function podsLinks(chain: Chain, namespace: string, rawPods: KubeObject[]): Promise<Link[]> {
  const { ctx } = chain;
  const now = ctx.now();
  const groups = new Map<string, KubeObject[]>();
  for (const raw of rawPods) {
    const owner = raw.metadata.ownerReferences?.[0];
    const key = owner ? `${owner.kind}/${owner.name}` : `Pod/${raw.metadata.name}`;
    groups.set(key, [...(groups.get(key) ?? []), raw]);
  }
  const links: Link[] = [];
  for (const members of [...groups.values()].slice(0, MAX_OWNERS)) {
    const pods = members.map((p) => podSchema.parse(p));
    const problems = sortFindings(pods.flatMap((p) => podProblems(p, now, ctx.config.health.restartWarn)));
    const worst = problems[0];
    const worstPod = pods.find((p) => p.metadata.name === worst?.name) ?? (pods[0] as Pod);
    const ready = pods.filter((p) => podRow(p).ready).length;
    const evidence = worst ? await podEvidence(chain, worstPod, worst.reason) : [];
    const counts = pods.length === 1 ? (ready ? 'ready' : 'not ready') : `${ready}/${pods.length} pods ready`;
    const link = chain.add({
      kind: 'Pod',
      namespace,
      name: worstPod.metadata.name,
      state: stateOf(problems),
      detail: worst
        ? `${counts}; ${fromFinding(worst).detail ?? ''}`
        : `${counts}${pods.length === 1 && worstPod.spec.nodeName ? ` on ${worstPod.spec.nodeName}` : ''}`,
      evidence,
      ...(worst?.fix ? { fix: worst.fix } : {}),
    });
    links.push(link);
    const owner = await ownerOf(chain, namespace, worstPod);
    if (owner) {
      const workload = await workloadLink(chain, owner.kind, workloadSchema.parse(owner.raw));
      if (!judgeWorkload(owner.kind, workloadSchema.parse(owner.raw)).own) chain.explain(workload, link);
    }
    const inputs = await inputLinks(chain, namespace, members.find((p) => p.metadata.name === worstPod.metadata.name) ?? members[0]);
    chain.explain(link, inputs.find(isBroken));
  }
  return links;
}

/** The pods of a workload, by its selector, after the workload itself. */
export async function workloadLinks(chain: Chain, kind: string, raw: KubeObject): Promise<void> {
  const w = workloadSchema.parse(raw);
  const namespace = w.metadata.namespace ?? '';
  const link = await workloadLink(chain, kind, w);
  const selector = w.spec.selector?.matchLabels;
  if (!selector || !Object.keys(selector).length) return;
  const pods = await chain.read({ kind: 'Pod', namespace, name: selectorText(selector) }, () =>
    listAll(chain.ctx.kube, core('pods', namespace), { labelSelector: selectorText(selector) }),
  );
  if (!pods) return;
  if (!pods.length) {
    if (link.state === 'ok') link.state = 'crit';
    link.detail = `${link.detail}; no pods exist (${selectorText(selector)})`;
    return;
  }
  await podsLinks(chain, namespace, pods);
}

/** PVCs the pod mounts and ExternalSecrets writing the Secrets it reads, in parallel. */
async function inputLinks(chain: Chain, namespace: string, rawPod: KubeObject | undefined): Promise<Link[]> {
  const { claims, secrets } = podInputs(rawPod);
  const [pvcs, eso] = await Promise.all([
    Promise.all(claims.map((claim) => pvcFacts(chain, namespace, claim))),
    secrets.length
      ? chain.read({ kind: 'ExternalSecret', namespace, name: secrets.join(',') }, () => secretsCheck.run(chain.ctx, { namespace }))
      : Promise.resolve(undefined),
  ]);
  const links = pvcs.filter((p): p is Link => p !== undefined).map((p) => chain.add(p));
  if (eso) chain.unreadable(eso.findings);
  if (eso?.installed) links.push(...(await externalSecretLinks(chain, namespace, secrets, eso)));
  return links;
}

/** A PVC the pod mounts: Bound, or why not (a storage class that does not exist, the provisioner's event). */
async function pvcFacts(chain: Chain, namespace: string, claim: string): Promise<Link | undefined> {
  const { ctx } = chain;
  const what = { kind: 'PersistentVolumeClaim', namespace, name: claim };
  const raw = await chain.read(what, () =>
    ctx.kube.get(core('persistentvolumeclaims', namespace), claim).catch((err: unknown) => (err instanceof NotFound ? null : Promise.reject(err))),
  );
  if (raw === undefined) return undefined;
  if (raw === null) return { ...what, state: 'crit', detail: 'does not exist: a pod that mounts it cannot start' };
  const pvc = pvcSchema.parse(raw);
  chain.saw(pvc.metadata);
  const phase = pvc.status.phase ?? 'Pending';
  const cls = pvc.spec.storageClassName;
  const size = pvc.status.capacity?.storage ?? pvc.spec.resources?.requests?.storage;
  if (phase === 'Bound') return { ...what, state: 'ok', detail: `Bound${size ? `, ${size}` : ''}${cls ? `, storage class ${cls}` : ''}` };
  const [classExists, event] = await Promise.all([
    cls
      ? ctx.kube.get({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' }, cls, { metadataOnly: true }).then(
          () => true,
          (err: unknown) => (err instanceof NotFound ? false : undefined),
        )
      : Promise.resolve(undefined),
    latestEvent(ctx, { kind: 'PersistentVolumeClaim', namespace, name: claim }).catch(() => undefined),
  ]);
  const since = ageMs(ctx.now(), pvc.metadata.creationTimestamp);
  const why =
    phase === 'Lost'
      ? 'Lost: its PersistentVolume is gone'
      : classExists === false
        ? `${phase}: its storage class ${cls} does not exist`
        : !cls
          ? `${phase}: it names no storage class and none is the default`
          : `${phase}${since !== undefined ? ` for ${formatAge(since / 1000)}` : ''}`;
  return {
    ...what,
    state: 'crit',
    detail: why,
    evidence: [...(classExists === false ? [`StorageClass ${cls}: not found`] : []), ...(event ? [`event: ${event.message}`] : [])],
  };
}

/**
 * The ExternalSecrets that write Secrets the pod reads (matched by their target name; no Secret is
 * read), as the secrets check judged them, and their stores. A failing one's provider error is in
 * its newest Warning event, not in its condition: that event is evidence.
 */
async function externalSecretLinks(chain: Chain, namespace: string, secrets: string[], report: CheckReport<SecretsData>): Promise<Link[]> {
  const links: Link[] = [];
  for (const es of report.data.externalSecrets.filter((e) => e.namespace === namespace && secrets.includes(e.target))) {
    const findings = report.findings.filter((f) => f.kind === 'ExternalSecret' && f.namespace === namespace && f.name === es.name);
    const refreshed = es.refreshTime ? ageMs(chain.ctx.now(), es.refreshTime) : undefined;
    const event = findings.length ? await latestEvent(chain.ctx, { kind: 'ExternalSecret', namespace, name: es.name }).catch(() => undefined) : undefined;
    const link = chain.add({
      kind: 'ExternalSecret',
      namespace,
      name: es.name,
      state: stateOf(findings),
      detail: findings[0]
        ? `${findings[0].reason}: ${findings[0].message}`
        : `${es.reason ?? 'Ready'}: writes Secret ${es.target}${refreshed !== undefined ? `, refreshed ${formatAge(refreshed / 1000)} ago` : ''}`,
      ...(findings.length
        ? { evidence: [`Ready=${es.ready}${es.reason ? ` (${es.reason})` : ''}: ${es.message ?? 'no message'}`, ...(event ? [`event: ${event.message}`] : [])] }
        : {}),
    });
    links.push(link);
    const store = report.data.stores.find(
      (s) => s.kind === es.store.kind && s.name === es.store.name && (s.kind === 'ClusterSecretStore' || s.namespace === namespace),
    );
    if (!store) continue;
    const storeFindings = report.findings.filter((f) => f.kind === store.kind && f.name === store.name);
    const storeLink =
      chain.find(store.kind, store.namespace, store.name) ??
      chain.add({
        kind: store.kind,
        ...(store.namespace ? { namespace: store.namespace } : {}),
        name: store.name,
        state: stateOf(storeFindings),
        detail: storeFindings[0]
          ? `${storeFindings[0].reason}: ${storeFindings[0].message}`
          : `${store.reason ?? 'Ready'}${store.provider ? `, provider ${store.provider}` : ''}`,
      });
    chain.explain(link, storeLink);
  }
  return links;
}
