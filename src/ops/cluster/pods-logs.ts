import { z } from 'zod';
import { defineOp, type OpContext } from '../../core/op.js';
import { NotFound, UserError } from '../../core/errors.js';
import { listAll, type LogOptions, type ResourceRef } from '../../core/ports/kube.js';
import { containerNameSchema, durationSchema, namespaceSchema, parseDuration, userPatternSchema } from '../../core/schemas.js';
import { compilePattern, type UserPattern } from '../../core/pattern.js';
import { parseObject, podSchema, type Pod } from '../shared/k8s.js';
import { isRunningAndReady } from '../shared/pods.js';
import { plural } from '../shared/format.js';
import { compareText } from '../../core/compare.js';

const MAX_LINES = 10_000;
/** Log an assistant gets when it does not say: the newest 3 KiB (its answer's budget is 8 KiB); the CLI 256 KiB. */
const DEFAULT_MAX_BYTES = 3 * 1024;
export const CLI_MAX_BYTES = 256 * 1024;
/** What is read to keep the newest maxBytes of the tail window. */
const READ_MAX_BYTES = 8 * 1024 * 1024;
const MAX_FOLLOW_S = 24 * 3600;

const input = z
  .object({
    pod: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9][-a-z0-9.]*$/, 'must be a pod name or the start of one')
      .describe('Or a prefix matching one pod'),
    namespace: namespaceSchema.optional().describe('Namespace (default: search all)'),
    container: containerNameSchema.optional(),
    tail: z.number().int().min(1).max(MAX_LINES).default(200),
    since: durationSchema.optional().describe('Only lines newer than this, e.g. 10m'),
    previous: z.boolean().default(false),
    grep: userPatternSchema.optional().describe('RE2 regular expression ((?i): any case)'),
    maxBytes: z.number().int().min(1024).max(READ_MAX_BYTES).optional().describe('Most bytes of log, the newest kept (default 3 KiB; CLI: 256 KiB)'),
    follow: z.boolean().default(false),
    followFor: durationSchema
      .refine((d) => (parseDuration(d) ?? 0) <= MAX_FOLLOW_S, `must be at most ${MAX_FOLLOW_S / 3600}h`)
      .default('30s')
      .describe('How long to follow (CLI: until Ctrl-C)'),
  })
  .strict();

const output = z.object({
  namespace: z.string(),
  pod: z.string(),
  container: z.string(),
  containers: z.array(z.string()).describe('All containers of the pod'),
  previous: z.boolean(),
  lines: z.array(z.string()),
  truncated: z.boolean().describe('true when the byte bound cut older lines off'),
  scanned: z.number().int().describe('Lines read before --grep filtered them'),
  workload: z
    .object({ kind: z.string(), name: z.string(), pods: z.number().int() })
    .optional()
    .describe("When the name was a workload's: which one, and how many pods it has (a running, ready one was read)"),
  followed: z.boolean().describe('true when new lines were read as they came (follow)'),
});

const PODS = (namespace?: string): ResourceRef => ({ group: '', version: 'v1', resource: 'pods', namespace });

/**
 * The workload a pod belongs to, read from its owner without listing more kinds: a ReplicaSet's
 * Deployment is its name less the pod-template-hash; a Job the CronJob controller made is named
 * CRONJOB-<scheduled time in minutes>, so a backup's runs group under their CronJob.
 */
function workloadOf(pod: Pod): { kind: string; name: string } | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller !== false) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return undefined;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  const scheduled = owner.kind === 'Job' ? /^(.+)-\d{8,}$/.exec(owner.name) : null;
  if (scheduled?.[1]) return { kind: 'CronJob', name: scheduled[1] };
  return { kind: owner.kind, name: owner.name };
}

/** The pod to read among a workload's: running and ready first, then the newest (a CronJob's last run). */
function bestPod(pods: Pod[]): Pod {
  return [...pods].sort(
    (a, b) =>
      Number(isRunningAndReady(b)) - Number(isRunningAndReady(a)) || compareText(b.metadata.creationTimestamp ?? '', a.metadata.creationTimestamp ?? ''),
  )[0] as Pod;
}

/**
 * Exact pod name wins. Otherwise the prefix may match pods of several owners: when it is exactly
 * a workload's name (jellyfin is the Deployment, jellyfin-backup-… the Jobs of a CronJob), that
 * workload's pods; when every match belongs to one workload, that one; else it is ambiguous.
 */
async function findPod(
  kube: Parameters<typeof listAll>[0],
  name: string,
  namespace?: string,
): Promise<{ pod: Pod; workload?: { kind: string; name: string; pods: number } }> {
  const candidates = (await listAll(kube, PODS(namespace))).map((p) => parseObject(podSchema, p, 'Pod'));
  const exact = candidates.filter((p) => p.metadata.name === name);
  if (exact.length === 1) return { pod: exact[0] as Pod };
  const matches = exact.length ? exact : candidates.filter((p) => p.metadata.name.startsWith(name));
  const where = namespace ? `namespace ${namespace}` : 'any namespace';
  if (!matches.length) throw new NotFound(`no pod named or starting with "${name}" in ${where}`);
  if (matches.length === 1) return { pod: matches[0] as Pod };
  const groups = new Map<string, { kind: string; name: string; pods: Pod[] }>();
  for (const pod of matches) {
    const owner = workloadOf(pod);
    const key = owner ? `${pod.metadata.namespace}/${owner.kind}/${owner.name}` : `${pod.metadata.namespace}/Pod/${pod.metadata.name}`;
    const group = groups.get(key) ?? { kind: owner?.kind ?? 'Pod', name: owner?.name ?? pod.metadata.name, pods: [] };
    group.pods.push(pod);
    groups.set(key, group);
  }
  const named = [...groups.values()].filter((g) => g.name === name && g.kind !== 'Pod');
  const chosen = named.length === 1 ? named[0] : groups.size === 1 ? [...groups.values()][0] : undefined;
  if (chosen && chosen.kind !== 'Pod') return { pod: bestPod(chosen.pods), workload: { kind: chosen.kind, name: chosen.name, pods: chosen.pods.length } };
  const listed = [...groups.values()]
    .slice(0, 10)
    .map((g) =>
      g.kind === 'Pod'
        ? `pod ${g.pods[0]?.metadata.namespace}/${g.name}`
        : `${g.kind} ${g.pods[0]?.metadata.namespace}/${g.name} (${plural(g.pods.length, 'pod')})`,
    );
  throw new UserError(`"${name}" matches ${matches.length} pods of ${groups.size} owners: ${listed.join(', ')}${groups.size > 10 ? ', …' : ''}`, {
    hint: namespace ? "give the workload's full name, or more of the pod's name" : "give the workload's full name, more of the pod's name, or -n NAMESPACE",
  });
}

/** The newest lines that fit in maxBytes (a line and its newline each): the end of a log says what happened last. */
function newest(lines: string[], maxBytes: number): string[] {
  let bytes = 0;
  let from = lines.length;
  while (from > 0 && bytes + Buffer.byteLength(lines[from - 1] as string) + 1 <= maxBytes) bytes += Buffer.byteLength(lines[--from] as string) + 1;
  return lines.slice(from);
}

/** Log text to lines: the last line of a cut answer may be half a line, so it is dropped. */
function toLines(text: string, truncated: boolean): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (truncated && lines.length) lines.pop();
  return lines;
}

export default defineOp({
  name: 'pods_logs',
  title: 'Pod logs',
  description:
    "A container's newest log lines, bounded in lines and bytes; a unique prefix names the pod. previous=true shows why a crash-looping container died.",
  effect: 'read',
  input,
  output,
  args: ['pod'],
  rbac: [
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: '', resource: 'pods/log', verbs: ['get'] },
  ],
  timeoutMs: 30_000,
  timeoutFor: (input) => (input.follow ? (parseDuration(input.followFor) ?? 0) * 1000 + 30_000 : 30_000),
  async run(ctx, input) {
    const { pod, workload } = await findPod(ctx.kube, input.pod, input.namespace);
    const namespace = pod.metadata.namespace ?? input.namespace ?? 'default';
    if (workload)
      ctx.log.progress(
        `reading pod ${namespace}/${pod.metadata.name} of ${workload.kind} ${workload.name}${workload.pods > 1 ? ` (one of its ${workload.pods} pods)` : ''}`,
      );
    const containers = pod.spec.containers.map((c) => c.name);
    const container = input.container ?? pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ?? containers[0];
    if (!container) throw new UserError(`pod ${namespace}/${pod.metadata.name} has no containers`);
    if (input.container && !containers.includes(input.container)) {
      const init = (pod.status.initContainerStatuses ?? []).map((c) => c.name);
      if (!init.includes(input.container))
        throw new UserError(`pod ${namespace}/${pod.metadata.name} has no container "${input.container}" (it has: ${containers.join(', ')})`);
    }
    const options = { container, tailLines: input.tail, sinceSeconds: input.since ? parseDuration(input.since) : undefined, previous: input.previous };
    const matcher = input.grep ? compilePattern(input.grep) : undefined;
    const base = { namespace, pod: pod.metadata.name, container, containers, previous: input.previous, ...(workload ? { workload } : {}) };
    const maxBytes = input.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!input.follow) {
      // One byte more than the read bound tells us whether the server had more to give.
      const text = await ctx.kube.logs(namespace, pod.metadata.name, { ...options, limitBytes: READ_MAX_BYTES + 1 });
      const cutByServer = Buffer.byteLength(text) > READ_MAX_BYTES;
      const all = toLines(text, cutByServer);
      const matched = matcher ? await matcher.filter(all, ctx.signal) : all;
      const lines = newest(matched, maxBytes);
      return { ...base, lines, truncated: cutByServer || lines.length < matched.length, scanned: all.length, followed: false };
    }
    return follow(ctx, namespace, pod.metadata.name, options, { followFor: input.followFor, maxBytes }, matcher, base);
  },
  summarize: (out) => ({
    verdict: 'ok',
    line: `${plural(out.lines.length, 'line')} from ${out.namespace}/${out.pod} [${out.container}]${out.previous ? ' (previous)' : ''}${out.truncated ? ' (truncated)' : ''}`,
  }),
});

/**
 * kubectl logs -f: lines as they come, each complete line emitted at once (the CLI prints it) and
 * kept within maxBytes (the newest win: they are what a follower watches for). Ends after followFor,
 * when the container stops, or when the caller cancels.
 */
async function follow(
  ctx: OpContext,
  namespace: string,
  pod: string,
  options: LogOptions,
  input: { followFor: string; maxBytes: number },
  matcher: UserPattern | undefined,
  base: { namespace: string; pod: string; container: string; containers: string[]; previous: boolean },
) {
  const kept: string[] = [];
  let keptBytes = 0;
  let scanned = 0;
  let truncated = false;
  let partial = '';
  const take = (line: string) => {
    scanned++;
    if (matcher && !matcher.test(line)) return;
    ctx.emit?.(`${line}\n`);
    kept.push(line);
    keptBytes += Buffer.byteLength(line) + 1;
    while (keptBytes > input.maxBytes && kept.length) {
      keptBytes -= Buffer.byteLength(kept.shift() as string) + 1;
      truncated = true;
    }
  };
  const stop = AbortSignal.timeout((parseDuration(input.followFor) ?? 0) * 1000);
  await ctx.kube.followLogs(namespace, pod, { ...options, stop }, (text) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) take(line);
  });
  if (partial) take(partial);
  return { ...base, lines: kept, truncated, scanned, followed: true };
}
