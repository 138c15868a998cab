import { describe, expect, it } from 'vitest';
import type { ApiDiscovery, ApiResource } from '../../../src/core/ports/kube.js';
import { holdsSecrets, resolveResource, resourceOfKind } from '../../../src/ops/k8s/resources.js';

const r = (group: string, version: string, resource: string, kind: string, more: Partial<ApiResource> = {}): ApiResource => ({
  group,
  version,
  resource,
  kind,
  singular: kind.toLowerCase(),
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: ['get', 'list'],
  ...more,
});

/**
 * Discovery as a k3s 1.31 cluster with Flux and cert-manager answers it, in the order the port gives
 * it (core first, then /apis' order, preferred versions first): what kubectl's RESTMapper is built from.
 */
const discovery: ApiDiscovery = {
  resources: [
    r('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'] }),
    r('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
    r('', 'v1', 'secrets', 'Secret'),
    r('', 'v1', 'nodes', 'Node', { shortNames: ['no'], namespaced: false }),
    r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', { shortNames: ['pvc'] }),
    r('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'], categories: ['all'] }),
    r('apps', 'v1', 'replicasets', 'ReplicaSet', { shortNames: ['rs'], categories: ['all'] }),
    r('events.k8s.io', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
    r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', { shortNames: ['hpa'], categories: ['all'] }),
    r('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', { shortNames: ['hpa'], categories: ['all'] }),
    r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', { shortNames: ['sc'], namespaced: false }),
    r('helm.toolkit.fluxcd.io', 'v2', 'helmreleases', 'HelmRelease', { shortNames: ['hr'] }),
    r('helm.toolkit.fluxcd.io', 'v2beta2', 'helmreleases', 'HelmRelease', { shortNames: ['hr'] }),
    r('cert-manager.io', 'v1', 'certificates', 'Certificate', { shortNames: ['cert', 'certs'], categories: ['cert-manager'] }),
    r('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics'),
  ],
  failed: [],
};

const named = (typed: string) => {
  const found = resolveResource(typed, discovery);
  return `${found.resource}.${found.version}.${found.group}`;
};

describe('what a person types for a kind, resolved as kubectl resolves it', () => {
  it('takes plurals, singulars, short names and kinds, in any case kubectl does', () => {
    expect(named('pods')).toBe('pods.v1.');
    expect(named('pod')).toBe('pods.v1.');
    expect(named('po')).toBe('pods.v1.');
    expect(named('Pod')).toBe('pods.v1.');
    expect(named('PODS')).toBe('pods.v1.');
    expect(named('deploy')).toBe('deployments.v1.apps');
    expect(named('Deployment')).toBe('deployments.v1.apps');
    expect(named('hr')).toBe('helmreleases.v2.helm.toolkit.fluxcd.io');
    expect(named('certs')).toBe('certificates.v1.cert-manager.io');
    expect(named('pvc')).toBe('persistentvolumeclaims.v1.');
  });

  it('takes RESOURCE.GROUP, a group prefix, RESOURCE.VERSION.GROUP and Kind.group', () => {
    expect(named('deployments.apps')).toBe('deployments.v1.apps');
    expect(named('deploy.apps')).toBe('deployments.v1.apps');
    expect(named('helmreleases.helm.toolkit.fluxcd.io')).toBe('helmreleases.v2.helm.toolkit.fluxcd.io');
    expect(named('helmreleases.v2beta2.helm.toolkit.fluxcd.io')).toBe('helmreleases.v2beta2.helm.toolkit.fluxcd.io');
    expect(named('storageclass.storage')).toBe('storageclasses.v1.storage.k8s.io');
    expect(named('hpa.autoscaling')).toBe('horizontalpodautoscalers.v2.autoscaling');
    expect(named('HelmRelease.helm.toolkit.fluxcd.io')).toBe('helmreleases.v2.helm.toolkit.fluxcd.io');
    expect(named('events.events.k8s.io')).toBe('events.v1.events.k8s.io');
  });

  it('prefers the core group, then the groups in discovery order, each at its preferred version', () => {
    expect(named('events')).toBe('events.v1.');
    expect(named('ev')).toBe('events.v1.');
    expect(named('hpa')).toBe('horizontalpodautoscalers.v2.autoscaling');
    // metrics.k8s.io serves `pods` too; the core group wins as kubectl's priority has it.
    expect(named('pods')).toBe('pods.v1.');
  });

  it('says a category is not a kind, and suggests the nearest kinds for a typo', () => {
    expect(() => resolveResource('all', discovery)).toThrow(
      /"all" is a category of kinds \(pods, deployments\.apps, replicasets\.apps, horizontalpodautoscalers\.autoscaling/,
    );
    let error: unknown;
    try {
      resolveResource('deploymnets', discovery);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      kind: 'NotFound',
      message: 'the server doesn\'t have a resource type "deploymnets".',
      hint: expect.stringMatching(/^did you mean deployments\?/),
    });
  });

  it('never says "no such kind" without saying which group-versions discovery could not read', () => {
    const partial: ApiDiscovery = {
      ...discovery,
      failed: [{ groupVersion: 'metrics.k8s.io/v1beta1', error: 'the server is currently unable to handle the request (503)' }],
    };
    expect(() => resolveResource('nodemetrics', partial)).toThrow(
      /doesn't have a resource type "nodemetrics"\. Discovery could not read metrics\.k8s\.io\/v1beta1 \(the server is currently unable/,
    );
  });

  it('knows a Secret by any name it is served under, and nothing else as one', () => {
    for (const typed of ['secrets', 'secret', 'Secret', 'SECRETS', 'secrets.v1.']) {
      expect(holdsSecrets(resolveResource(typed, discovery)), typed).toBe(true);
    }
    expect(holdsSecrets({ kind: 'Secret', resource: 'secrets' })).toBe(true);
    // A proxy or aggregated API that serves Secrets again, under its own group.
    expect(holdsSecrets({ kind: 'Secret', resource: 'projectsecrets' })).toBe(true);
    expect(holdsSecrets({ kind: 'ProjectSecret', resource: 'secrets' })).toBe(true);
    expect(holdsSecrets({ kind: 'ConfigMap', resource: 'configmaps' })).toBe(false);
    expect(holdsSecrets({ kind: 'ExternalSecret', resource: 'externalsecrets' })).toBe(false);
  });

  it('finds the resource of an owner reference by apiVersion and kind', () => {
    expect(resourceOfKind(discovery, 'apps/v1', 'ReplicaSet')?.resource).toBe('replicasets');
    expect(resourceOfKind(discovery, 'helm.toolkit.fluxcd.io/v2beta1', 'HelmRelease')?.version).toBe('v2');
    expect(resourceOfKind(discovery, 'v1', 'Pod')?.group).toBe('');
    expect(resourceOfKind(discovery, 'example.com/v1', 'Widget')).toBeUndefined();
  });
});
