import type { Scenario } from '@homelab/sandbox';
import type { z } from 'zod';
import type { Finding } from '../../src/ops/shared/findings.js';
import type backupsStatus from '../../src/ops/backups/backups-status.js';
import type backupsTrigger from '../../src/ops/backups/backups-trigger.js';

/** What the ops answer: their own output schemas. */
export type Backups = z.output<typeof backupsStatus.output>;
export type Triggered = z.output<typeof backupsTrigger.output>;
export type { Finding };

export interface StoredJob {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  };
  spec: unknown;
}

/** CronJobs whose names say nothing: what they run makes them backups, or not. */
export function byWhatTheyRun(): Scenario {
  const cron = (
    namespace: string,
    name: string,
    container: { image: string; command?: string[]; args?: string[] },
    jobs: Array<{ started: string; succeeded?: boolean }>,
  ) => ({
    kind: 'CronJob' as const,
    name,
    namespace,
    created: '-60d',
    schedule: '0 3 * * *',
    containers: [{ name: 'main', ...container }],
    jobs: jobs.map((j) => ({ duration: '2m', ...j })),
  });
  return {
    name: 'backups-by-what-they-run',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.50', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'media' }, { name: 'web' }, { name: 'kube-system' }, { name: 'photos' }],
    workloads: [
      // A nightly restic job that has failed for 9 days.
      cron('media', 'nightly', { image: 'ghcr.io/restic/restic:0.17.3', args: ['backup', '/data'] }, [
        { started: '-9d3h' },
        { started: '-1d3h', succeeded: false },
      ]),
      cron('web', 'db-dump', { image: 'postgres:16.4', command: ['/bin/sh', '-c', 'pg_dump -h db app | gzip > /dump/app.sql.gz'] }, [{ started: '-21h' }]),
      cron('kube-system', 'etcd-snap', { image: 'rancher/k3s:v1.31.4-k3s1', command: ['k3s', 'etcd-snapshot', 'save', '--name', 'nightly'] }, [
        { started: '-21h' },
      ]),
      cron('photos', 'offsite', { image: 'docker.io/rclone/rclone:1.68', args: ['sync', '/photos', 'b2:photos'] }, [{ started: '-21h' }]),
      // Not backups, whatever a loose match would say.
      cron('media', 'recyclarr', { image: 'ghcr.io/recyclarr/recyclarr:7.2', command: ['recyclarr', 'sync'] }, [{ started: '-21h' }]),
      cron('web', 'report', { image: 'ghcr.io/example/cyborg:1.0', command: ['cyborg', '--report', '/tmp/restic-notes.txt'] }, [{ started: '-21h' }]),
    ],
  };
}

/** The same cluster with no backups at all: only a CronJob that is not one. */
export function withoutBackups(): Scenario {
  const scenario = byWhatTheyRun();
  return { ...scenario, workloads: scenario.workloads?.filter((w) => w.name === 'recyclarr') };
}
