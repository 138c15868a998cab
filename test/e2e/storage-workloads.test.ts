import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, type Scenario } from '@homelab/sandbox';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding {
  severity: string;
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
  message: string;
  fix?: { tool: string; command: string };
}
interface Claim {
  namespace: string;
  name: string;
  phase: string;
  capacity?: string;
  storageClass?: string;
  accessModes: string;
  pods: string[];
  use?: { percent: number; usedBytes: number; capacityBytes: number };
  why?: string;
}
interface StorageJson {
  verdict: string;
  summary: string;
  claims: Claim[];
  claimsTotal: number;
  claimsByPhase: Record<string, number>;
  volumes: Array<{ name: string; phase: string; claim?: string; message?: string }>;
  volumesTotal: number;
  volumeUse: { read: boolean; note?: string };
  truncated: boolean;
  narrow?: string;
  findings: Finding[];
  findingsTotal: number;
  findingsByReason: Record<string, number>;
}
interface Workload {
  kind: string;
  namespace: string;
  name: string;
  state: string;
  desired: number;
  ready: number;
  updated: number;
  oldServing?: number;
  reason: string;
}
interface WorkloadsJson {
  verdict: string;
  summary: string;
  workloads: Workload[];
  notFine: number;
  byState: Record<string, number>;
  counts: Record<string, number>;
  truncated: boolean;
  narrow?: string;
  findings: Finding[];
  findingsTotal: number;
  findingsByReason: Record<string, number>;
}
type ToolResult = { isError?: boolean; structuredContent?: unknown; content: Array<{ text: string }> };

const BUDGET = 8 * 1024;
const resultBytes = (r: ToolResult) => Buffer.byteLength(JSON.stringify(r.content)) + Buffer.byteLength(JSON.stringify(r.structuredContent ?? null));
const finding = (out: { findings: Finding[] }, name: string, reason: string) => out.findings.find((f) => f.name === name && f.reason === reason);

describe('homelab storage on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('lists the claims with the pods that mount them, says why each Pending one waits, and names Released and Failed volumes', async () => {
    s.sandbox.requests.clear();
    const r = await runCliProcess(['storage', '--json', '--limit', '20'], s.env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as StorageJson;
    expect({ code: r.code, verdict: out.verdict }).toEqual({ code: 1, verdict: 'warn' });
    expect(out.claimsByPhase).toEqual({ Bound: 4, Pending: 3 });
    const jellyfin = out.claims.find((c) => c.name === 'jellyfin-config');
    expect(jellyfin).toMatchObject({
      namespace: 'jellyfin',
      phase: 'Bound',
      capacity: '10Gi',
      storageClass: 'local-path',
      accessModes: 'RWO',
      pods: [expect.stringMatching(/^jellyfin-/)],
    });
    expect(out.claims.find((c) => c.name === 'immich-library')).toMatchObject({ accessModes: 'RWX', storageClass: 'nfs-client' });

    expect(finding(out, 'frigate-media', 'NoSuchStorageClass')).toMatchObject({
      severity: 'warn',
      kind: 'PersistentVolumeClaim',
      namespace: 'home-automation',
      message: 'its storage class "fast-ssd" does not exist (there are: local-path, nfs-client)',
      fix: { tool: 'k8s_describe', command: 'homelab describe pvc frigate-media -n home-automation' },
    });
    // The PV controller only says it waits for the provisioner: nothing to quote, the question to ask instead.
    expect(finding(out, 'paperless-consume', 'NotProvisioned')?.message).toMatch(
      /^pending for \d+m: cluster\.local\/nfs-subdir-external-provisioner has not made its volume \(is the provisioner running\?\)$/,
    );
    // Waiting for its first pod is how WaitForFirstConsumer works: said, not a problem.
    expect(out.claims.find((c) => c.name === 'restic-cache')?.why).toBe('waits for a pod to use it (WaitForFirstConsumer)');
    expect(out.findings.filter((f) => f.name === 'restic-cache')).toEqual([]);

    expect(out.volumes.map((v) => `${v.phase} ${v.claim}`).sort()).toEqual(['Failed uptime-kuma/uptime-kuma-data', 'Released media/lidarr-config']);
    expect(finding(out, 'pvc-8e3c1a5f-7d2b-4f90-b6c8-9a4e2d0f1b67', 'Released')?.message).toBe(
      'its claim media/lidarr-config was deleted 40d ago; its data is kept (Retain): reuse or delete it',
    );
    expect(finding(out, 'pvc-1f6b3d8a-4e9c-4b25-8d71-0c5a2e7f9b13', 'VolumeFailed')?.message).toMatch(
      /^reclaiming it failed: failed to delete volume pvc-1f6b3d8a-4e9c-4b25-8d71-0c5a2e7f9b13: /,
    );

    // Volume use is a privilege the config opts into: not asked, and said so.
    expect(out.volumeUse).toEqual({
      read: false,
      note: 'volume use not read: set storage.kubeletStats: true (it needs get on nodes/proxy, a privilege: deploy/overlays/kubelet-stats)',
    });
    expect(s.sandbox.requests.entries.filter((q) => q.path.includes('/proxy'))).toEqual([]);

    const table = await runCli(['storage', '--limit', '20'], s.env);
    expect(table.stdout).toMatch(/^WARN storage: 4 problems in 7 claims, 7 volumes, 2 storage classes; worst: /);
    expect(table.stdout).toMatch(/^home-automation\s+frigate-media\s+Pending\s+200Gi\s+-\s+RWO\s+fast-ssd\s+-\s+no StorageClass "fast-ssd"$/m);
    expect(table.stdout).toContain(
      '  homelab describe pvc frigate-media -n home-automation  # PersistentVolumeClaim home-automation/frigate-media NoSuchStorageClass',
    );
  }, 60_000);

  it('reads how full each volume is from the kubelets when the config opts in, and judges it by the thresholds', async () => {
    const config = await configWith(s.sandbox, 'kubelet-stats', { storage: { kubeletStats: true } });
    s.sandbox.requests.clear();
    const r = await runCli(['storage', '-n', 'immich', '--json', '--config', config], s.env);
    const out = JSON.parse(r.stdout) as StorageJson;
    expect({ code: r.code, verdict: out.verdict, volumeUse: out.volumeUse }).toEqual({ code: 2, verdict: 'crit', volumeUse: { read: true } });
    expect(out.claims.map((c) => `${c.name} ${c.use?.percent}`).sort()).toEqual(['data-immich-postgres-0 97', 'immich-library 83']);
    expect(finding(out, 'data-immich-postgres-0', 'VolumeFull')).toMatchObject({ severity: 'crit', message: '97% used, 717 MiB free of 20 GiB (crit at 95%)' });
    expect(out.findings.filter((f) => f.name === 'immich-library')).toEqual([]);
    // Each node that runs a pod with a bound claim of the namespace, asked once.
    expect(s.sandbox.requests.entries.filter((q) => q.path.includes('/proxy')).map((q) => q.path)).toEqual(['/api/v1/nodes/pi5-worker-2/proxy/stats/summary']);

    const lower = JSON.parse((await runCli(['storage', '-n', 'immich', '--json', '--warn-percent', '80', '--config', config], s.env)).stdout) as StorageJson;
    expect(finding(lower, 'immich-library', 'VolumeFilling')).toMatchObject({ severity: 'warn', message: '83% used, 88 GiB free of 500 GiB (warn at 80%)' });
    const backwards = await runCli(['storage', '--warn-percent', '96', '--crit-percent', '90'], s.env);
    expect(backwards.code).toBe(64);
    expect(backwards.stderr).toMatch(/warnPercent \(96\) must not be more than critPercent \(90\)/);
  }, 60_000);

  it('answers over MCP within the budget, and health runs it when asked', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const r = (await mcp.client.callTool({ name: 'storage_status', arguments: {} })) as ToolResult;
      expect(r.isError).toBeFalsy();
      expect(resultBytes(r)).toBeLessThanOrEqual(BUDGET);
      expect(r.content[0]?.text).toMatch(/^WARN: storage: 4 problems in 7 claims/);
      const cut = (await mcp.client.callTool({ name: 'storage_status', arguments: { limit: 2 } })) as ToolResult;
      expect(resultBytes(cut)).toBeLessThanOrEqual(BUDGET);
      expect(cut.structuredContent).toMatchObject({
        truncated: true,
        claimsTotal: 7,
        narrow: '5 more claims or volumes not listed (problems come first): narrow with namespace (-n) or raise limit',
      });
      // Problems first: what is cut is what is fine; the findings kept are those of what is listed, all counted.
      const listed = cut.structuredContent as StorageJson;
      expect(listed.claims.map((c) => c.phase)).toEqual(['Pending', 'Pending']);
      expect(listed.findings.map((f) => f.name).sort()).toEqual([
        'frigate-media',
        'paperless-consume',
        'pvc-1f6b3d8a-4e9c-4b25-8d71-0c5a2e7f9b13',
        'pvc-8e3c1a5f-7d2b-4f90-b6c8-9a4e2d0f1b67',
      ]);
      expect(listed).toMatchObject({ findingsTotal: 4, findingsByReason: { NoSuchStorageClass: 1, NotProvisioned: 1, Released: 1, VolumeFailed: 1 } });
      // limit 1: one claim and one volume, each a problem; the findings of the others are counted, not listed.
      const one = (await mcp.client.callTool({ name: 'storage_status', arguments: { limit: 1 } })).structuredContent as StorageJson;
      expect(one.claims.map((c) => c.phase)).toEqual(['Pending']);
      expect(one.volumes.map((v) => v.phase)).toEqual([expect.stringMatching(/^(Released|Failed)$/)]);
      expect(one.findings.map((f) => f.name).sort()).toEqual([one.claims[0]?.name, one.volumes[0]?.name].sort());
      expect(one).toMatchObject({ findingsTotal: 4, narrow: expect.stringMatching(/^\d+ more claims or volumes not listed/) });
    } finally {
      await mcp.close();
    }
    const health = JSON.parse((await runCli(['health', '--only', 'storage,workloads', '--json'], s.env)).stdout) as {
      subsystems: Array<{ name: string; state: string; verdict: string; line: string }>;
    };
    expect(health.subsystems.map((x) => `${x.name} ${x.state} ${x.verdict}`)).toEqual(['storage checked warn', 'workloads checked crit']);
    expect(health.subsystems[1]?.line).toMatch(
      /^workloads: 4 problems in 42 Deployments, 7 StatefulSets, 5 DaemonSets; worst: Deployment media\/qbittorrent ProgressDeadlineExceeded/,
    );
  }, 60_000);
});

/** Claims that wait for each reason the objects can tell, a lost one, and no default class. */
function storageTrouble(): Scenario {
  const claim = (name: string, spec: Record<string, unknown>, phase = 'Pending') => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'apps', creationTimestamp: '-2h' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem', ...spec },
    status: { phase },
  });
  return {
    name: 'storage-trouble',
    nodes: [{ name: 'mini', roles: ['control-plane'], ip: '192.0.2.10', cpu: '2', memory: '4Gi' }],
    namespaces: [{ name: 'apps' }],
    workloads: [
      // Its claim waits for it, and it waits for memory: the claim is never provisioned.
      {
        kind: 'Deployment',
        name: 'ollama',
        namespace: 'apps',
        created: '-2h',
        containers: [{ name: 'ollama', image: 'ollama/ollama:0.5.4' }],
        volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'ollama-models' } }],
        pods: [
          {
            unschedulable:
              '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
          },
        ],
      },
    ],
    objects: [
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'local-ssd', creationTimestamp: '-30d' },
        provisioner: 'rancher.io/local-path',
        volumeBindingMode: 'WaitForFirstConsumer',
        reclaimPolicy: 'Delete',
      },
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'local-disks', creationTimestamp: '-30d' },
        provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'WaitForFirstConsumer',
      },
      claim('ollama-models', { storageClassName: 'local-ssd' }),
      claim('scratch', { storageClassName: 'local-disks' }),
      claim('unclassed', {}),
      claim('media-cache', { storageClassName: 'local-ssd', volumeName: 'pvc-gone' }, 'Lost'),
    ],
  };
}

describe('homelab storage on claims that cannot bind', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: storageTrouble() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('says why from the objects: a pod that is not scheduled, a class without provisioner, no default class, a lost volume', async () => {
    const r = await runCli(['storage', '--json'], s.env);
    const out = JSON.parse(r.stdout) as StorageJson;
    expect(r.code).toBe(2);
    expect(finding(out, 'ollama-models', 'WaitingForPod')).toMatchObject({
      severity: 'crit',
      message: expect.stringMatching(
        /^it is provisioned only once pod ollama-\S+ is scheduled, and it is not: 0\/1 nodes are available: 1 Insufficient memory/,
      ),
    });
    expect(out.claims.find((c) => c.name === 'ollama-models')?.pods).toEqual([expect.stringMatching(/^ollama-/)]);
    expect(finding(out, 'scratch', 'NoProvisioner')).toMatchObject({
      severity: 'warn',
      message: 'StorageClass local-disks has no provisioner (kubernetes.io/no-provisioner): a PersistentVolume must be made by hand, and none matches it',
    });
    expect(finding(out, 'unclassed', 'NoStorageClass')).toMatchObject({
      severity: 'warn',
      message: 'it names no storage class and no StorageClass is the default, so nothing provisions a volume for it',
    });
    expect(finding(out, 'media-cache', 'ClaimLost')).toMatchObject({
      severity: 'crit',
      message: 'its PersistentVolume pvc-gone no longer exists: the data it held is not reachable',
    });
  });

  it('says that a default class made after the claim is given to it on Kubernetes 1.28 or later', async () => {
    const scenario = storageTrouble();
    scenario.objects?.push({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path', creationTimestamp: '-1h', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const later = await startSandboxEnv({ scenarioData: scenario });
    try {
      const out = JSON.parse((await runCli(['storage', '--json'], later.env)).stdout) as StorageJson;
      expect(finding(out, 'unclassed', 'NoStorageClass')).toMatchObject({
        severity: 'warn',
        message:
          'it names no storage class and none was the default when it was made; local-path is now, and Kubernetes 1.28 or later gives it to the claim: on an older cluster, make the claim again',
      });
      expect(out.claims.find((c) => c.name === 'unclassed')?.why).toBe('no storage class; local-path is the default now');
    } finally {
      await later.sandbox.stop();
    }
  });

  it('says when it cannot ask a kubelet, and still reports the claims', async () => {
    const limited = await startSandboxEnv({
      scenarioData: storageTrouble(),
      rbac: [
        { apiGroups: [''], resources: ['persistentvolumeclaims', 'persistentvolumes', 'pods', 'events'], verbs: ['list'] },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['list'] },
      ],
    });
    try {
      // A bound claim mounted by a running pod, so that there is a kubelet to ask.
      limited.sandbox.store.put({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: 'apps' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-ssd', volumeName: 'pvc-1', resources: { requests: { storage: '1Gi' } } },
        status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
      });
      limited.sandbox.store.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'uses-data', namespace: 'apps' },
        spec: { nodeName: 'mini', containers: [{ name: 'c', image: 'busybox:1.37' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
        status: { phase: 'Running' },
      });
      const config = await configWith(limited.sandbox, 'kubelet-stats', { storage: { kubeletStats: true } });
      const out = JSON.parse((await runCli(['storage', '--json', '--config', config], limited.env)).stdout) as StorageJson;
      expect(out.findings).toContainEqual(
        expect.objectContaining({
          kind: 'Check',
          name: 'nodes/proxy',
          reason: 'Forbidden',
          message: expect.stringMatching(/^forbidden: needs `get` on nodes\/proxy "mini".*how full the volumes on node mini are is not shown$/),
        }),
      );
      expect(out.volumeUse).toEqual({ read: true, note: '1 kubelet of 1 could not be asked (see findings)' });
      expect(out.claimsTotal).toBe(5);
    } finally {
      await limited.sandbox.stop();
    }
  });

  it('is ok on a cluster without claims, and says there was nothing to check', async () => {
    const empty = await startSandboxEnv({ scenarioData: { name: 'bare', nodes: [{ name: 'mini', ip: '192.0.2.10', cpu: '2', memory: '4Gi' }] } });
    try {
      const r = await runCli(['storage', '--json'], empty.env);
      const out = JSON.parse(r.stdout) as StorageJson;
      expect({ code: r.code, verdict: out.verdict, summary: out.summary }).toEqual({
        code: 0,
        verdict: 'ok',
        summary: 'no PersistentVolumeClaims in any namespace: nothing to check',
      });
    } finally {
      await empty.sandbox.stop();
    }
  });
});

describe('homelab workloads', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('finds the rollout stuck past its deadline with the old ReplicaSet still serving, and why the new pod fails', async () => {
    const r = await runCli(['workloads', '--json'], s.env);
    const out = JSON.parse(r.stdout) as WorkloadsJson;
    expect({ code: r.code, verdict: out.verdict }).toEqual({ code: 2, verdict: 'crit' });
    const qbittorrent = out.workloads.find((w) => w.name === 'qbittorrent');
    expect(qbittorrent).toMatchObject({
      kind: 'Deployment',
      namespace: 'media',
      state: 'stuck',
      reason: 'ProgressDeadlineExceeded',
      desired: 1,
      ready: 1,
      updated: 1,
      oldServing: 1,
    });
    expect(out.workloads[0]?.name).toBe('qbittorrent');
    const stuck = finding(out, 'qbittorrent', 'ProgressDeadlineExceeded');
    expect(stuck?.message).toMatch(
      /^ReplicaSet qbittorrent-\w+ made no progress within the deadline \(since \S+\); the old ReplicaSet qbittorrent-\w+ still serves 1 ready pod; pod qbittorrent-\S+ \(new revision\) ImagePullBackOff: container qbittorrent: /,
    );
    expect(stuck?.fix?.command).toMatch(/^homelab describe pod qbittorrent-\S+ -n media$/);
    const paperless = finding(out, 'paperless-ngx', 'Unavailable');
    expect(paperless).toMatchObject({
      severity: 'crit',
      message: expect.stringMatching(/^0 of 1 replicas available; pod paperless-ngx-\S+ CrashLoopBackOff: container paperless-ngx keeps crashing/),
    });
    expect(paperless?.fix?.command).toMatch(/^homelab logs paperless-ngx-\S+ -n paperless -c paperless-ngx --previous$/);
    expect(out.counts).toEqual({ Deployment: 42, StatefulSet: 7, DaemonSet: 5 });

    const table = await runCli(['workloads', '-n', 'media'], s.env);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/^Deployment\s+media\s+qbittorrent\s+stuck\s+1\/1\s+1\s+1\s+ProgressDeadlineExceeded$/m);
    expect(table.stdout).toMatch(/^crit\s+Deployment\s+media\s+qbittorrent\s+ProgressDeadlineExceeded\s+ReplicaSet qbittorrent-\w+ made no progress/m);
    expect(table.stdout).not.toContain('paperless');
  }, 60_000);

  it('answers over MCP within the budget', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const r = (await mcp.client.callTool({ name: 'workloads_status', arguments: {} })) as ToolResult;
      expect(r.isError).toBeFalsy();
      expect(resultBytes(r)).toBeLessThanOrEqual(BUDGET);
      expect(r.content[0]?.text).toMatch(/^CRIT: workloads: 4 problems in 42 Deployments/);
    } finally {
      await mcp.close();
    }
  });
});

/** Rollouts of each kind: stuck past the deadline, and within it. */
function rollouts(): Scenario {
  const c = (name: string, image: string) => [{ name, image }];
  const crash = (name: string) => ({
    [name]: { restarts: 9, waiting: { reason: 'CrashLoopBackOff' }, lastTerminated: { reason: 'Error', exitCode: 1, startedAt: '-2m', finishedAt: '-2m' } },
  });
  return {
    name: 'rollouts',
    nodes: [
      { name: 'n1', roles: ['control-plane'], ip: '192.0.2.11', cpu: '4', memory: '8Gi' },
      { name: 'n2', ip: '192.0.2.12', cpu: '4', memory: '8Gi' },
    ],
    namespaces: [{ name: 'apps' }],
    workloads: [
      {
        kind: 'StatefulSet',
        name: 'postgres',
        namespace: 'apps',
        replicas: 2,
        created: '-30d',
        rollout: { started: '-30m' },
        containers: c('postgres', 'postgres:17.2'),
        pods: [{}, { containers: crash('postgres') }],
      },
      {
        kind: 'StatefulSet',
        name: 'redis',
        namespace: 'apps',
        replicas: 2,
        created: '-30d',
        rollout: { started: '-2m' },
        containers: c('redis', 'redis:7.4'),
        pods: [{}, { containers: { redis: { ready: false } } }],
      },
      {
        kind: 'DaemonSet',
        name: 'node-agent',
        namespace: 'apps',
        created: '-30d',
        rollout: { started: '-1h' },
        containers: c('agent', 'ghcr.io/example/agent:2.0'),
        pods: [{ containers: { agent: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/example/agent:2.0"' } } } }],
      },
      {
        kind: 'Deployment',
        name: 'web',
        namespace: 'apps',
        replicas: 2,
        created: '-30d',
        rollout: { started: '-3m' },
        containers: c('web', 'nginx:1.27'),
        pods: [{ containers: { web: { ready: false } } }],
      },
      { kind: 'Deployment', name: 'api', namespace: 'apps', replicas: 2, created: '-30d', containers: c('api', 'ghcr.io/example/api:1.4') },
    ],
  };
}

describe('homelab workloads on rollouts of every kind', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: rollouts() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('calls a StatefulSet or DaemonSet rollout stuck when its new pod stays not ready past the deadline, and one within it rolling out', async () => {
    const out = JSON.parse((await runCli(['workloads', '--json'], s.env)).stdout) as WorkloadsJson;
    const byName = Object.fromEntries(out.workloads.map((w) => [w.name, w]));
    expect(byName.postgres).toMatchObject({ kind: 'StatefulSet', state: 'stuck', reason: 'RolloutStuck', desired: 2, ready: 1, updated: 1 });
    expect(finding(out, 'postgres', 'RolloutStuck')?.message).toMatch(
      /^the rollout waits for a new pod made 30m ago that is not ready; 1 of 2 ready, 1 on revision postgres-\w+; pod postgres-1 \(new revision\) CrashLoopBackOff: container postgres keeps crashing \(9 restarts; last exit 1 Error\)$/,
    );
    expect(byName['node-agent']).toMatchObject({ kind: 'DaemonSet', state: 'stuck', reason: 'RolloutStuck', updated: 1 });
    expect(finding(out, 'node-agent', 'RolloutStuck')?.message).toMatch(
      /pod node-agent-\S+ \(new revision\) ImagePullBackOff: container agent: Back-off pulling image/,
    );
    expect(byName.redis).toMatchObject({ state: 'rolling out', reason: 'RollingOut' });
    expect(byName.web).toMatchObject({ kind: 'Deployment', state: 'rolling out', oldServing: 2 });
    expect(byName.api).toBeUndefined();
    // Rollouts within their deadline are shown, not findings.
    expect(out.findings.map((f) => `${f.kind} ${f.name} ${f.reason}`).sort()).toEqual([
      'DaemonSet node-agent RolloutStuck',
      'StatefulSet postgres RolloutStuck',
    ]);
    expect(out.byState).toEqual({ stuck: 2, 'rolling out': 2 });
    expect(out.summary).toMatch(/^workloads: 2 problems in 2 Deployments, 2 StatefulSets, 1 DaemonSet; worst: DaemonSet apps\/node-agent RolloutStuck: /);
  });
});

/** A 1,500-pod cluster whose first workloads crash-loop, 400 pods in all. */
function bigAndBroken(): Scenario {
  const scenario = generateScenario({ pods: 1500 });
  let failing = 400;
  for (const w of scenario.workloads ?? []) {
    const replicas = w.replicas ?? 1;
    if (failing <= 0) break;
    const broken = Math.min(replicas, failing);
    w.pods = Array.from({ length: broken }, () => ({
      containers: {
        app: { restarts: 31, waiting: { reason: 'CrashLoopBackOff' }, lastTerminated: { reason: 'Error', exitCode: 1, startedAt: '-3m', finishedAt: '-3m' } },
      },
    }));
    failing -= broken;
  }
  return scenario;
}

describe('storage, workloads and get on a 1,500-pod cluster with 400 failing pods', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: bigAndBroken() });
  }, 60_000);
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('answers each within the MCP budget, naming the worst and counting all', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const workloads = (await mcp.client.callTool({ name: 'workloads_status', arguments: {} })) as ToolResult;
      expect(resultBytes(workloads)).toBeLessThanOrEqual(BUDGET);
      const out = workloads.structuredContent as WorkloadsJson;
      expect(out.verdict).toBe('crit');
      expect(out.notFine).toBeGreaterThan(100);
      expect(out.workloads.length).toBeLessThan(out.notFine);
      expect(out).toMatchObject({
        truncated: true,
        narrow: expect.stringMatching(/more workloads not listed \(stuck ones come first\): narrow with namespace \(-n\) or raise limit$/),
      });
      expect(out.findingsTotal).toBe(out.notFine);
      expect(Object.values(out.findingsByReason).reduce((a, b) => a + b, 0)).toBe(out.findingsTotal);
      // Each listed workload keeps its finding; the rest are counted.
      expect(out.findings.map((f) => f.name).sort()).toEqual(out.workloads.map((w) => w.name).sort());
      // A terminal has room for more: the CLI lists 20 by default.
      const cli = JSON.parse((await runCli(['workloads', '--json'], s.env)).stdout) as WorkloadsJson;
      expect(cli.workloads).toHaveLength(20);
      expect(cli.findingsTotal).toBe(out.findingsTotal);

      for (const call of [
        { name: 'storage_status', arguments: {} },
        { name: 'k8s_get', arguments: { kind: 'pods' } },
        { name: 'k8s_get', arguments: { kind: 'deploy', output: 'json' } },
        { name: 'k8s_describe', arguments: { kind: 'deploy', name: 'app-0', namespace: 'team-0' } },
      ]) {
        const r = (await mcp.client.callTool(call)) as ToolResult;
        expect(r.isError, `${call.name}: ${r.content[0]?.text}`).toBeFalsy();
        expect(resultBytes(r), JSON.stringify(call)).toBeLessThanOrEqual(BUDGET);
      }
    } finally {
      await mcp.close();
    }
  }, 120_000);
});
