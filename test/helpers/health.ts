import type { Scenario } from '@homelab/sandbox';

/** What cluster_health answers, as the tests read it. */
export interface Finding {
  severity: string;
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
  message: string;
}
export interface HealthJson {
  verdict: string;
  summary: string;
  findings: Finding[];
  nodes: Array<{ name: string; ready: boolean; cpuPercent?: number; memoryPercent?: number; arch?: string }>;
  metrics: { available: boolean; note?: string };
  pods: { total: number; withProblems: number };
  events: Array<{ reason: string; lastSeen: string; object: string; message: string }>;
  checks: Array<{ name: string; ok: boolean }>;
  subsystems: Array<{ name: string; state: string; verdict: string; line: string; problems: number }>;
}

/** A tiny cluster with nothing wrong (its nightly backup ran), to prove the green path is earned, not assumed. */
export function healthyScenario(withMetrics: boolean): Scenario {
  return {
    name: 'tiny',
    ...(withMetrics ? { metrics: {} } : {}),
    nodes: [{ name: 'mini-pc', roles: ['control-plane'], ip: '192.0.2.10', cpu: '4', memory: '16Gi', arch: 'amd64', usage: { cpu: '500m', memory: '4Gi' } }],
    namespaces: [{ name: 'web' }],
    workloads: [
      {
        kind: 'Deployment',
        name: 'site',
        namespace: 'web',
        replicas: 2,
        created: '-3d',
        containers: [{ name: 'nginx', image: 'nginx:1.27', usage: { cpu: '2m', memory: '12Mi' } }],
      },
      // A homelab without backups is not healthy: this one has a recent success.
      {
        kind: 'CronJob',
        name: 'site-backup',
        namespace: 'web',
        created: '-3d',
        schedule: '0 3 * * *',
        containers: [{ name: 'dump', image: 'restic/restic:0.17.3', args: ['backup', '/srv'] }],
        jobs: [{ started: '-20h', duration: '1m' }],
      },
    ],
  };
}

/** A Warning event's message over several lines, as kubelet writes a failed mount. */
export const MULTI_LINE_MESSAGE = 'MountVolume.SetUp failed for volume "data":\n  mount failed: exit status 32\n\tOutput: mount.nfs: access denied';

/** The healthy cluster with one Warning event whose message runs over several lines. */
export function multiLineEventScenario(): Scenario {
  return {
    ...healthyScenario(true),
    events: [
      {
        namespace: 'web',
        type: 'Warning',
        reason: 'FailedMount',
        first: '-5m',
        involved: { kind: 'Pod', workload: 'site', index: 0 },
        message: MULTI_LINE_MESSAGE,
      },
    ],
  };
}
