/** What `homelab why` asks of the sandbox beyond the other tools: lists by name in every namespace, and scripted answers that echo the question. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startConfiguredSandbox, type ConfiguredSandbox } from '../helpers/sandbox.js';
import { api } from './helpers.js';

type Obj = { metadata: { name: string; namespace?: string } };

describe('sandbox lookups (pi-homelab)', () => {
  let sb: ConfiguredSandbox;
  beforeAll(async () => {
    sb = await startConfiguredSandbox();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('lists a namespaced kind by metadata.name across every namespace, as the API server does (the name is for authorization, not a path)', async () => {
    for (const path of [
      '/apis/apps/v1/deployments?fieldSelector=metadata.name%3Djellyfin',
      '/apis/helm.toolkit.fluxcd.io/v2/helmreleases?fieldSelector=metadata.name%3Dimmich',
    ]) {
      const r = await api(sb, 'GET', path);
      expect(r.status, path).toBe(200);
      expect(
        (r.json().items as Obj[]).map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
        path,
      ).toEqual([path.includes('jellyfin') ? 'jellyfin/jellyfin' : 'immich/immich']);
    }
    expect((await api(sb, 'GET', '/apis/apps/v1/deployments/jellyfin')).status).toBe(404);
  });

  it('fills an exec answer from the named groups of its rule: Pi-hole answers for the very host asked', async () => {
    const env = { KUBECONFIG: sb.kubeconfigPath, HOMELAB_CONFIG: sb.configPath };
    for (const host of ['photos.home.example.net', 'status.home.example.net']) {
      const r = await runCli(['dns', 'query', host, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { result: { flags: string[]; answers: Array<{ name: string; data: string }> } };
      expect(out.result.answers).toEqual([expect.objectContaining({ name: `${host}.`, data: '192.168.1.50' })]);
      expect(out.result.flags).toContain('aa');
    }
  });
});
