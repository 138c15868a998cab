import { z } from 'zod';
import { allowListAdmits, type Config } from '../../core/config.js';
import type { CronJob } from './cronjobs.js';

export const MATCHED_BY = ['config', 'name', 'label', 'namespace', 'image', 'command'] as const;
export type MatchedBy = (typeof MATCHED_BY)[number];

/** Why a CronJob counts as a backup: the rule that matched and what it matched on. */
export interface BackupMatch {
  by: MatchedBy;
  /** The config entry, name, label, namespace, image or command word that matched. */
  on: string;
}

/**
 * Backup tools, by the names their projects give their images and binaries: file and volume
 * backup (restic, kopia, borg, rclone, duplicati, duplicity, ...), the Kubernetes operators
 * (velero, k8up, volsync, kanister) and database dumps (pg_dump, pgbackrest, mysqldump,
 * mariadb-dump, mongodump, ...). An image matches when a path segment, or a -_. separated part
 * of one, is such a name; a command when one of its words is.
 */
const TOOLS = [
  'restic',
  'resticprofile',
  'autorestic',
  'kopia',
  'velero',
  'k8up',
  'volsync',
  'kanister',
  'borg',
  'borgbackup',
  'borgmatic',
  'rclone',
  'duplicati',
  'duplicity',
  'rdiff-backup',
  'rsnapshot',
  'bacula',
  'bareos',
  'pgbackrest',
  'pg_dump',
  'pg_dumpall',
  'pg_basebackup',
  'wal-g',
  'barman',
  'mysqldump',
  'mariadb-dump',
  'mariadb-backup',
  'mariabackup',
  'mydumper',
  'xtrabackup',
  'mongodump',
] as const;
const TOOL_SET = new Set<string>(TOOLS);

/** Commands whose tool also does other things: the words that make it a backup. */
const SNAPSHOT_COMMANDS: ReadonlyArray<{ pattern: RegExp; label: string }> = [
  { pattern: /\betcdctl\b[^;&|]*\bsnapshot\s+save\b/, label: 'etcdctl snapshot save' },
  { pattern: /\b(?:k3s|rke2)\s+etcd-snapshot\b/, label: 'etcd-snapshot' },
  { pattern: /\bsqlite3\b[^;&|]*\s["']?\.backup\b/, label: 'sqlite3 .backup' },
];

const containerSchema = z.looseObject({
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
});
/** The pod template of a CronJob's jobTemplate.spec, as far as it is read here. */
const jobSpecSchema = z.looseObject({
  template: z
    .looseObject({
      spec: z.looseObject({ containers: z.array(containerSchema).optional(), initContainers: z.array(containerSchema).optional() }).optional(),
    })
    .optional(),
});

/** "ghcr.io/restic/restic:0.17.3@sha256:..." -> ["restic", "restic"]: the repository path, no registry, tag or digest. */
function imagePath(image: string): string[] {
  const noDigest = image.split('@')[0] ?? '';
  const segments = noDigest.split('/');
  // The first segment is a registry when it looks like a host (a dot, a port, localhost).
  if (segments.length > 1 && /[.:]|^localhost$/.test(segments[0] ?? '')) segments.shift();
  const last = segments.pop() ?? '';
  segments.push(last.split(':')[0] ?? '');
  return segments.map((s) => s.toLowerCase()).filter(Boolean);
}

function imageTool(image: string, word: string): string | undefined {
  for (const segment of imagePath(image)) {
    if (TOOL_SET.has(segment)) return segment;
    const parts = segment.split(/[-_.]/);
    const tool = parts.find((p) => TOOL_SET.has(p));
    if (tool) return tool;
    if (segment.includes(word)) return word;
  }
  return undefined;
}

const WORD_EDGE = String.raw`(?:^|[\s/;&|'"(=])`;
const WORD_END = String.raw`(?=$|[\s;&|'")])`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
const TOOL_WORD = new RegExp(`${WORD_EDGE}(${TOOLS.map(escape).join('|')})${WORD_END}`);

function commandTool(argv: readonly string[]): string | undefined {
  const text = argv.join(' ');
  const tool = TOOL_WORD.exec(text)?.[1];
  if (tool) return tool;
  return SNAPSHOT_COMMANDS.find((c) => c.pattern.test(text))?.label;
}

/**
 * Why a CronJob counts as a backup, or undefined when it does not. In order: listed in config;
 * the match word ("backup") in its name, a label or its namespace (a `backups` namespace holds
 * backups); then what it runs: a backup tool's image (or the match word in the image's name), or a
 * backup tool in a container's command and args, so a nightly job named "nightly" that runs restic counts.
 */
export function backupMatch(cron: CronJob, config: Config['backups']): BackupMatch | undefined {
  const ref = `${cron.metadata.namespace}/${cron.metadata.name}`;
  const entry = config.cronJobs.find((e) => allowListAdmits([e], ref));
  if (entry) return { by: 'config', on: entry };
  const word = config.match.toLowerCase();
  if (cron.metadata.name.toLowerCase().includes(word)) return { by: 'name', on: cron.metadata.name };
  const label = Object.entries(cron.metadata.labels ?? {}).find(([k, v]) => k.toLowerCase().includes(word) || v.toLowerCase().includes(word));
  if (label) return { by: 'label', on: `${label[0]}=${label[1]}` };
  const namespace = cron.metadata.namespace ?? '';
  if (namespace.toLowerCase().includes(word)) return { by: 'namespace', on: namespace };

  const spec = jobSpecSchema.safeParse(cron.spec.jobTemplate.spec);
  const podSpec = spec.success ? spec.data.template?.spec : undefined;
  const containers = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
  for (const c of containers) {
    const tool = c.image ? imageTool(c.image, word) : undefined;
    if (tool && c.image) return { by: 'image', on: `${c.image} (${tool})` };
  }
  for (const c of containers) {
    const tool = commandTool([...(c.command ?? []), ...(c.args ?? [])]);
    if (tool) return { by: 'command', on: tool };
  }
  return undefined;
}

/** What `backups` looks for, for the line that says nothing was found. */
export function describeMatching(config: Config['backups']): string {
  return `looked for "${config.match}" in CronJob names, labels and namespaces, for backup tools (restic, kopia, velero, borg, rclone, pg_dump, mysqldump, etcd snapshots, ...) in their images and commands${config.cronJobs.length ? ', and the CronJobs listed in backups.cronJobs' : ''}`;
}
