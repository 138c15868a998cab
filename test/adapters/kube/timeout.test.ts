import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServices } from '../../../src/adapters/services.js';
import { KubeClient } from '../../../src/adapters/kube/client.js';
import { parseConfig } from '../../../src/core/config.js';
import { defineOp } from '../../../src/core/op.js';
import { listAll } from '../../../src/core/ports/kube.js';
import { runOp } from '../../../src/core/run-op.js';
import { startSandbox, type Sandbox } from '@homelab/sandbox';

const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };

const listPods = defineOp({
  name: 'test_pods',
  title: 'Pods',
  description: 'Lists pods',
  effect: 'read',
  input: z.object({}).strict(),
  output: z.object({ count: z.number() }),
  rbac: [],
  timeoutMs: 1_000,
  async run(ctx) {
    return { count: (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods' })).length };
  },
});

describe('an API server that does not answer', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ faults: [{ method: 'GET', path: '/api/v1/pods', delayMs: 20_000 }] });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('is named in the timeout, with what it was asked', async () => {
    const config = parseConfig({});
    const kube = new KubeClient({ kubeconfig: sb.kubeconfigPath, env: {} });
    try {
      const context = { kube, config, services: createServices({ config, env: {}, log: quiet }), now: () => new Date(), log: quiet };
      await expect(runOp(listPods, {}, { context, via: 'test' })).rejects.toMatchObject({
        kind: 'Timeout',
        message: `test_pods timed out after 1s: no answer from ${sb.url} to list pods in all namespaces`,
        hint: expect.stringContaining('kubectl get --raw /readyz'),
      });
    } finally {
      await kube.close();
    }
  });
});
