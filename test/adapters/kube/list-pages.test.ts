/**
 * KubeClient.listPages reads each page item by item as it arrives (list-items.ts) and hands the items
 * on in the batches they came in: the same objects as a whole read, every page followed, and a page
 * that breaks off or is not JSON is an error, not a short list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/adapters/kube/client.js';
import { generateScenario, startSandbox, type Sandbox } from '@homelab/sandbox';

const PODS = { group: '', version: 'v1', resource: 'pods' };

describe('listPages on a cluster of 600 pods', () => {
  let sb: Sandbox;
  let kube: KubeClient;
  beforeAll(async () => {
    sb = await startSandbox({ scenarioData: generateScenario({ pods: 600, failingPods: 50, nodes: 4, namespaces: 6 }) });
    kube = new KubeClient({ kubeconfig: sb.kubeconfigPath, env: {} });
  });
  afterAll(async () => {
    await kube?.close();
    await sb?.stop();
  });

  it('gives every pod once, as the API has them, over every page, in batches smaller than a page', async () => {
    const batches: number[] = [];
    const names: string[] = [];
    for await (const batch of kube.listPages(PODS, { pageSize: 250 })) {
      batches.push(batch.length);
      for (const pod of batch) names.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }
    const stored = sb.store.list('pods').map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(names).toEqual(stored);
    expect(sb.requests.entries.filter((r) => r.path === '/api/v1/pods').length).toBe(Math.ceil(stored.length / 250));
    // Streamed: the items of a 250-pod page arrive in several batches (a page read whole is one).
    expect(batches.length).toBeGreaterThan(Math.ceil(stored.length / 250));
    expect(Math.max(...batches)).toBeLessThan(250);
  });

  it('is an error when the page is not JSON or breaks off, not a shorter list', async () => {
    for (const body of ['<html>proxy error</html>', '{"kind":"PodList","metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":']) {
      const remove = sb.faults.add({ method: 'GET', path: '/api/v1/pods', status: 200, body });
      try {
        const read = async () => {
          for await (const batch of kube.listPages(PODS)) void batch;
        };
        await expect(read()).rejects.toThrow('the Kubernetes API answered list pods with something that is not JSON');
      } finally {
        remove();
      }
    }
  });
});
