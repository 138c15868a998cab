import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { findingsSchema, problemsLine, sortFindings, summarizeStatus, summaryLineSchema, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { firstLine } from './shared.js';
import { formatBytes, plural } from '../shared/format.js';

export const WARN_PERCENT = 85;
export const CRIT_PERCENT = 95;

const volumeSchema = z.object({
  volume: z.string().describe('The configured volume'),
  ok: z.boolean().describe('false when df could not report it (see error)'),
  filesystem: z.string().optional(),
  mount: z.string().optional().describe('Where the filesystem holding the volume is mounted'),
  sizeBytes: z.number().int().optional(),
  usedBytes: z.number().int().optional(),
  availableBytes: z.number().int().optional(),
  percent: z.number().int().min(0).max(100).optional().describe('Capacity used, as df prints it (used / (used + available), rounded up)'),
  error: z.string().optional(),
});
type Volume = z.infer<typeof volumeSchema>;

export interface DfLine {
  filesystem: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  percent: number;
  mount: string;
}

/**
 * Parses `df -P -k` (POSIX format: one line per filesystem, 1024-byte blocks) after its header.
 * A filesystem name with spaces is kept whole: the numbers are matched from the right.
 */
export function parseDfOutput(stdout: string): DfLine[] {
  const lines: DfLine[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const [, filesystem, size, used, avail, capacity, mount] = m as unknown as [string, string, string, string, string, string, string];
    const usedK = Number(used);
    const availK = Number(avail);
    const percent = capacity === '-' ? (usedK + availK ? Math.ceil((usedK * 100) / (usedK + availK)) : 0) : Number(capacity.slice(0, -1));
    lines.push({ filesystem, sizeBytes: Number(size) * 1024, usedBytes: usedK * 1024, availableBytes: availK * 1024, percent: Math.min(100, percent), mount });
  }
  return lines;
}

export function volumeFindings(volumes: readonly Volume[]): Finding[] {
  const findings: Finding[] = [];
  for (const v of volumes) {
    if (!v.ok) {
      findings.push({
        severity: 'warn',
        kind: 'Volume',
        name: v.volume,
        reason: 'CheckFailed',
        message: `could not read disk use: ${v.error ?? 'unknown error'}`,
      });
    } else if (v.percent !== undefined && v.percent >= CRIT_PERCENT) {
      findings.push({
        severity: 'crit',
        kind: 'Volume',
        name: v.volume,
        reason: 'SpaceCritical',
        message: `${v.percent}% used, ${formatBytes(v.availableBytes ?? 0)} free (crit at ${CRIT_PERCENT}%)`,
      });
    } else if (v.percent !== undefined && v.percent >= WARN_PERCENT) {
      findings.push({
        severity: 'warn',
        kind: 'Volume',
        name: v.volume,
        reason: 'SpaceLow',
        message: `${v.percent}% used, ${formatBytes(v.availableBytes ?? 0)} free (warn at ${WARN_PERCENT}%)`,
      });
    }
  }
  return sortFindings(findings);
}

export default defineOp({
  name: 'nas_df',
  title: 'Disk use of the NAS volumes',
  description:
    'Volumes in nas.volumes, over SSH. Returns the verdict (85% full: warn, 95%: crit), volumes and findings; configured: false without nas in the config.',
  effect: 'read',
  listedWith: ['nas'],
  input: z.object({}).strict(),
  output: z.object({
    configured: z.boolean().describe('false when the config has no nas section'),
    nas: z.string().optional().describe('user@host:port'),
    verdict: verdictSchema,
    summary: summaryLineSchema,
    volumes: z.array(volumeSchema),
    findings: findingsSchema,
  }),
  rbac: [],
  timeoutMs: 60_000,
  async run(ctx) {
    const config = ctx.config.nas;
    const nas = config ? await ctx.services.nas() : undefined;
    if (!config || !nas) {
      return {
        configured: false,
        verdict: 'ok' as const,
        summary: 'the NAS is not configured (no nas: section in the config file)',
        volumes: [],
        findings: [],
      };
    }
    // One command per volume: a missing volume is reported alone instead of shifting the others' lines.
    const volumes = await Promise.all(
      config.volumes.map(async (volume): Promise<Volume> => {
        // Volumes are absolute paths (config schema), and `--` ends options all the same.
        const r = await nas.exec(['df', '-P', '-k', '--', volume], { maxOutputBytes: 64 * 1024 });
        const line = parseDfOutput(r.stdout)[0];
        if (r.exitCode !== 0 || !line) {
          return { volume, ok: false, error: firstLine(r.stderr) || (line ? `df exited ${r.exitCode ?? r.signal}` : 'df printed nothing that could be read') };
        }
        return { volume, ok: true, ...line };
      }),
    );
    const findings = volumeFindings(volumes);
    const verdict = verdictOf(findings);
    return { configured: true, nas: nas.target, verdict, summary: summaryLine(verdict, volumes, findings), volumes, findings };
  },
  summarize: summarizeStatus,
});

function summaryLine(verdict: string, volumes: readonly Volume[], findings: readonly Finding[]): string {
  const n = plural(volumes.length, 'volume');
  const problems = problemsLine(findings, n);
  if (verdict === 'ok' || !problems) {
    const fullest = volumes.filter((v) => v.ok).sort((a, b) => (b.percent ?? 0) - (a.percent ?? 0))[0];
    return `NAS disk space ok: ${n}${fullest ? `, fullest ${fullest.volume} at ${fullest.percent}%` : ''}`;
  }
  return `NAS disk space: ${problems}`;
}
