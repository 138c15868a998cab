import { z } from 'zod';
import type { RbacRule } from '../../core/op.js';
import { UserError } from '../../core/errors.js';

const read = ['get', 'list'] as const;

/**
 * What `get` and `describe` may read in a deployed homelab: the resources of Kubernetes' own `view`
 * ClusterRole (its rules are those of system:aggregate-to-view in the apiserver's bootstrap policy,
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy), without watch (nothing here watches) and without
 * the old `extensions` group no cluster serves since 1.22. Like `view`, it has no Secrets: with the
 * deployed role they are refused (403), and with a kubeconfig that may list them they are still read
 * as metadata only. Other kinds (nodes, CRDs) are readable as far as the rest of homelab's role grants.
 */
export const VIEW_RBAC: readonly RbacRule[] = [
  ...[
    'configmaps',
    'endpoints',
    'persistentvolumeclaims',
    'pods',
    'replicationcontrollers',
    'serviceaccounts',
    'services',
    'events',
    'limitranges',
    'resourcequotas',
    'namespaces',
  ].map((resource) => ({ apiGroup: '', resource, verbs: read })),
  { apiGroup: 'discovery.k8s.io', resource: 'endpointslices', verbs: read },
  ...['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'].map((resource) => ({ apiGroup: 'apps', resource, verbs: read })),
  { apiGroup: 'autoscaling', resource: 'horizontalpodautoscalers', verbs: read },
  { apiGroup: 'batch', resource: 'cronjobs', verbs: read },
  { apiGroup: 'batch', resource: 'jobs', verbs: read },
  { apiGroup: 'policy', resource: 'poddisruptionbudgets', verbs: read },
  { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: read },
  { apiGroup: 'networking.k8s.io', resource: 'networkpolicies', verbs: read },
];

/** What a person types for a kind, optionally as KIND/NAME (kubectl get deploy/jellyfin). */
export const kindSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9.-]*(\/[a-z0-9][a-z0-9.-]*)?$/,
    'must be a kind as kubectl takes it: pods, po, deploy, deployments.apps, Deployment, helmreleases.helm.toolkit.fluxcd.io (or KIND/NAME)',
  );

/** A label selector as kubectl's -l takes it; the server checks its grammar. */
export const labelSelectorSchema = z
  .string()
  .min(1)
  .max(1000)
  .regex(/^[A-Za-z0-9_./=!,() -]+$/, 'must be a label selector, e.g. app=jellyfin, tier!=cache or env in (prod,home)');

/** KIND/NAME split, as kubectl get deploy/jellyfin takes it; a NAME given twice must agree. */
export function splitKindName(kind: string, name: string | undefined): { kind: string; name: string | undefined } {
  const slash = kind.indexOf('/');
  if (slash < 0) return { kind, name };
  const fromKind = kind.slice(slash + 1);
  if (name !== undefined && name !== fromKind) throw new UserError(`KIND ${kind} names ${fromKind} and NAME says ${name}: give the name once`);
  return { kind: kind.slice(0, slash), name: fromKind };
}
