import { z } from 'zod';
import { conditionSchema, metadataSchema } from '../shared/k8s.js';
import { conditionState, findCondition } from '../shared/conditions.js';
import type { LinkState } from './links.js';

/*
 * The parts of the objects on a chain that `why` follows, as the Kubernetes API reference defines
 * them (core/v1 Service, PersistentVolumeClaim, Pod spec; apps/v1 Deployment, StatefulSet,
 * DaemonSet; storage.k8s.io/v1 StorageClass). Loose: what is not read passes through.
 */

const labels = z.record(z.string(), z.string());

/** core/v1 ServiceSpec: selector, ports (targetPort a number or a container port's name), type, externalName. */
export const serviceSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      type: z.string().optional(),
      selector: labels.optional(),
      externalName: z.string().optional(),
      ports: z.array(z.looseObject({ name: z.string().optional(), port: z.number(), targetPort: z.union([z.number(), z.string()]).optional() })).default([]),
    })
    .default({ ports: [] }),
});
export type Service = z.infer<typeof serviceSchema>;

/** LabelSelector.matchLabels, and the pod template's labels, of apps/v1 workloads. */
export const workloadSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      replicas: z.number().optional(),
      paused: z.boolean().optional(),
      selector: z.looseObject({ matchLabels: labels.optional() }).optional(),
      template: z.looseObject({ metadata: z.looseObject({ labels: labels.optional() }).optional() }).optional(),
    })
    .default({}),
  status: z
    .looseObject({
      replicas: z.number().optional(),
      readyReplicas: z.number().optional(),
      availableReplicas: z.number().optional(),
      updatedReplicas: z.number().optional(),
      desiredNumberScheduled: z.number().optional(),
      numberReady: z.number().optional(),
      numberAvailable: z.number().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .default({}),
});
export type Workload = z.infer<typeof workloadSchema>;

const keyRef = z.looseObject({ name: z.string().optional() });
const containerInputs = z.looseObject({
  name: z.string(),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number().optional() })).optional(),
  env: z.array(z.looseObject({ valueFrom: z.looseObject({ secretKeyRef: keyRef.optional() }).optional() })).optional(),
  envFrom: z.array(z.looseObject({ secretRef: keyRef.optional() })).optional(),
});

/** What a pod is made from: its volumes (PVCs, Secrets, projected Secrets) and its containers' Secret references and ports. */
export const podInputsSchema = z.looseObject({
  spec: z
    .looseObject({
      volumes: z
        .array(
          z.looseObject({
            persistentVolumeClaim: z.looseObject({ claimName: z.string() }).optional(),
            secret: z.looseObject({ secretName: z.string().optional() }).optional(),
            projected: z.looseObject({ sources: z.array(z.looseObject({ secret: keyRef.optional() })).optional() }).optional(),
          }),
        )
        .optional(),
      containers: z.array(containerInputs).default([]),
      initContainers: z.array(containerInputs).optional(),
    })
    .default({ containers: [] }),
});

/** The PVCs a pod mounts and the Secrets it reads (never the Secrets themselves: only their names). */
export function podInputs(raw: unknown): { claims: string[]; secrets: string[]; ports: Map<string, number> } {
  const parsed = podInputsSchema.safeParse(raw);
  if (!parsed.success) return { claims: [], secrets: [], ports: new Map() };
  const { volumes = [], containers, initContainers = [] } = parsed.data.spec;
  const claims = volumes.flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
  const secrets = [
    ...volumes.flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s) => s.secret?.name)]),
    ...[...initContainers, ...containers].flatMap((c) => [
      ...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name),
      ...(c.envFrom ?? []).map((e) => e.secretRef?.name),
    ]),
  ].filter((s): s is string => Boolean(s));
  const ports = new Map<string, number>();
  for (const c of containers) for (const p of c.ports ?? []) if (p.name && p.containerPort !== undefined) ports.set(p.name, p.containerPort);
  return { claims: [...new Set(claims)], secrets: [...new Set(secrets)], ports };
}

/** core/v1 PersistentVolumeClaim: what it asks for and what it got. */
export const pvcSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      storageClassName: z.string().optional(),
      volumeName: z.string().optional(),
      resources: z.looseObject({ requests: z.record(z.string(), z.string()).optional() }).optional(),
    })
    .default({}),
  status: z.looseObject({ phase: z.string().optional(), capacity: z.record(z.string(), z.string()).optional() }).default({}),
});
export type Pvc = z.infer<typeof pvcSchema>;

/** Whether every key of a selector has its value among the labels (an empty selector matches nothing here). */
export function selects(selector: Record<string, string> | undefined, labelsOf: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labelsOf?.[k] === v);
}

/** "a=b,c=d": a selector as kubectl prints it and the API takes it. */
export function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * A workload's own state, from what its controller reports: scaled to zero, a rollout that gave up
 * (Progressing=False ProgressDeadlineExceeded), a replica it cannot create (ReplicaFailure), a paused
 * rollout; else how many of its pods are available (a shortfall is its pods' doing, said there).
 */
export function judgeWorkload(kind: string, w: Workload): { state: LinkState; detail: string; own: boolean } {
  const s = w.status;
  if (kind === 'DaemonSet') {
    const desired = s.desiredNumberScheduled ?? 0;
    const available = s.numberAvailable ?? 0;
    if (desired === 0) return { state: 'warn', detail: 'runs on no node: its node selector or tolerations match none', own: true };
    return { state: available >= desired ? 'ok' : 'crit', detail: `${available}/${desired} pods available`, own: false };
  }
  const replicas = w.spec.replicas ?? 1;
  if (replicas === 0) return { state: 'crit', detail: 'scaled to 0 replicas: nothing runs', own: true };
  const failure = findCondition(w, 'ReplicaFailure');
  if (failure?.status === 'True')
    return { state: 'crit', detail: `cannot create its pods (${failure.reason ?? 'ReplicaFailure'}): ${failure.message ?? 'no message'}`, own: true };
  const progressing = conditionState(w, 'Progressing');
  if (progressing.status === 'False')
    return { state: 'crit', detail: `rollout stopped (${progressing.reason ?? 'Progressing=False'}): ${progressing.message ?? 'no message'}`, own: true };
  if (w.spec.paused) return { state: 'warn', detail: 'its rollout is paused: new changes are not rolled out', own: true };
  const ready = kind === 'StatefulSet' ? (s.readyReplicas ?? 0) : (s.availableReplicas ?? 0);
  return {
    state: ready >= replicas ? 'ok' : ready > 0 ? 'warn' : 'crit',
    detail: `${ready}/${replicas} ${kind === 'StatefulSet' ? 'ready' : 'available'}`,
    own: false,
  };
}
