/** Debian's kubectl, unchanged, against the sandbox: the outside check that the wire is right. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@homelab/sandbox';
import { hasKubectl, kubectl } from './helpers.js';

const why = 'kubectl is not installed at /usr/bin/kubectl';

describe.skipIf(!hasKubectl)(`kubectl against the sandbox${hasKubectl ? '' : ` (skipped: ${why})`}`, () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('get pods -A shows every namespace with the full columns and the crash loop', async () => {
    const r = await kubectl(sb, ['get', 'pods', '-A']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.length - 1).toBe(sb.store.list('pods').length);
    expect(r.stdout).toMatch(/^paperless\s+paperless-ngx-\S+\s+0\/1\s+CrashLoopBackOff\s+163 \(\d+m\d*s? ago\)\s+14h$/m);
    expect(r.stdout).toMatch(/^media\s+qbittorrent-\S+\s+0\/1\s+ImagePullBackOff\s+0\s+/m);
    expect(r.stdout).toMatch(/^media\s+tdarr-\S+\s+0\/1\s+Pending\s+/m);
    expect(r.stdout).toMatch(/^backups\s+immich-db-backup-\d+-\S+\s+0\/1\s+Completed\s+/m);
    expect(r.stdout).toMatch(/^immich\s+immich-machine-learning-\S+\s+1\/1\s+Running\s+3 \(22m ago\)/m);
  });

  it('get pods -o wide adds IP and NODE', async () => {
    const r = await kubectl(sb, ['get', 'pods', '-n', 'jellyfin', '-o', 'wide']);
    expect(r.stdout.split('\n')[0]).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    expect(r.stdout).toMatch(/jellyfin-\S+\s+1\/1\s+Running\s+0\s+3d\s+10\.42\.\d+\.\d+\s+pi5-worker-1\s+<none>\s+<none>/);
  });

  it('get nodes shows the four Ready Pis', async () => {
    const r = await kubectl(sb, ['get', 'nodes']);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    for (const n of ['pi-k3s', 'pi5-worker-1', 'pi5-worker-2', 'pi3-worker-2']) {
      expect(r.stdout).toMatch(new RegExp(`^${n}\\s+Ready\\s+\\S+\\s+\\d+d\\s+v1\\.31\\.4\\+k3s1$`, 'm'));
    }
    expect(r.stdout).toMatch(/^pi-k3s\s+Ready\s+control-plane,master\s/m);
  });

  it('logs shows the current and the previous crash', async () => {
    const pod = sb.store.list('pods', 'paperless').find((p) => p.metadata.name?.startsWith('paperless-ngx-'))?.metadata.name ?? '';
    const cur = await kubectl(sb, ['logs', pod, '-n', 'paperless']);
    expect(cur.code).toBe(0);
    expect(cur.stdout).toContain('password authentication failed for user "paperless"');
    const prev = await kubectl(sb, ['logs', pod, '-n', 'paperless', '--previous', '--tail', '1']);
    expect(prev.stdout.trim().split('\n')).toHaveLength(1);
    expect(prev.stdout).toContain('OperationalError');
    const none = await kubectl(sb, ['logs', 'deploy/homepage', '-n', 'homepage', '--previous']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/previous terminated container "homepage" in pod "homepage-\S+" not found/);
  });

  it('get deploy shows READY UP-TO-DATE AVAILABLE', async () => {
    const r = await kubectl(sb, ['get', 'deploy', '-n', 'homepage']);
    expect(r.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nhomepage\s+1\/1\s+1\s+1\s+200d\n$/);
  });

  it('rollout restart patches the pod template and rollout status completes', async () => {
    const r = await kubectl(sb, ['rollout', 'restart', 'deployment/homepage', '-n', 'homepage']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('deployment.apps/homepage restarted');
    const d = sb.store.get('deployments', 'homepage', 'homepage') as
      { spec: { template: { metadata: { annotations?: Record<string, string> } } }; metadata: { generation?: number } } | undefined;
    expect(d?.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(d?.metadata.generation).toBe(2);
    const s = await kubectl(sb, ['rollout', 'status', 'deployment/homepage', '-n', 'homepage', '--timeout=10s']);
    expect(s.stdout).toContain('deployment "homepage" successfully rolled out');
    const pods = sb.store.list('pods', 'homepage');
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  });

  it('top nodes reads metrics.k8s.io', async () => {
    const r = await kubectl(sb, ['top', 'nodes']);
    expect(r.stdout).toMatch(/^pi3-worker-2\s+2874m\s+71%\s+812Mi\s+88%\s*$/m);
  });

  it('api-resources lists built-ins from discovery', async () => {
    const r = await kubectl(sb, ['api-resources', '--api-group=apps']);
    expect(r.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });
});

describe.skipIf(!hasKubectl)(`kubectl with RBAC rules${hasKubectl ? '' : ` (skipped: ${why})`}`, () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] }] });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('rollout restart without patch is forbidden with the apiserver wording', async () => {
    const r = await kubectl(sb, ['rollout', 'restart', 'deployment/homepage', '-n', 'homepage']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'deployments.apps "homepage" is forbidden: User "system:serviceaccount:mcp-homelab:homelab" cannot patch resource "deployments" in API group "apps" in the namespace "homepage"',
    );
    const d = sb.store.get('deployments', 'homepage', 'homepage') as { spec: { template: { metadata: { annotations?: Record<string, string> } } } } | undefined;
    expect(d?.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
  });

  it('get pods is forbidden at the cluster scope', async () => {
    const r = await kubectl(sb, ['get', 'pods', '-A']);
    expect(r.stderr).toContain(
      'pods is forbidden: User "system:serviceaccount:mcp-homelab:homelab" cannot list resource "pods" in API group "" at the cluster scope',
    );
  });
});
