import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { NotFound, UserError } from '../../core/errors.js';
import { listAll, type ResourceRef } from '../../core/ports/kube.js';
import { containerNameSchema, durationSchema, namespaceSchema, parseDuration, userPatternSchema } from '../../core/schemas.js';
import { compilePattern } from '../../core/pattern.js';
import { parseObject, podSchema, type Pod } from '../shared/k8s.js';

const MAX_LINES = 10_000;
const DEFAULT_MAX_BYTES = 256 * 1024;

const input = z
  .object({
    pod: z.string().min(1).max(253).regex(/^[a-z0-9][-a-z0-9.]*$/, 'must be a pod name or the start of one').describe('Pod name, or a prefix that matches exactly one pod'),
    namespace: namespaceSchema.optional().describe('Namespace of the pod; without it every namespace is searched'),
    container: containerNameSchema.optional().describe('Container; default: the pod\'s default container, else its first'),
    tail: z.number().int().min(1).max(MAX_LINES).default(200).describe('Lines from the end of the log'),
    since: durationSchema.optional().describe('Only lines newer than this, e.g. 10m, 1h'),
    previous: z.boolean().default(false).describe('Logs of the previous, crashed instance of the container'),
    grep: userPatternSchema.optional().describe('Keep only lines matching this regular expression (RE2 syntax, as in Go: no backreferences or lookaround; (?i) for case-insensitive)'),
    maxBytes: z.number().int().min(1024).max(8 * 1024 * 1024).default(DEFAULT_MAX_BYTES).describe('Upper bound on the bytes of log returned'),
  })
  .strict();

const output = z.object({
  namespace: z.string(),
  pod: z.string(),
  container: z.string(),
  containers: z.array(z.string()).describe('All containers of the pod'),
  previous: z.boolean(),
  lines: z.array(z.string()),
  truncated: z.boolean().describe('true when the byte bound cut the log short'),
  scanned: z.number().int().describe('Lines read before --grep filtered them'),
});

const PODS = (namespace?: string): ResourceRef => ({ group: '', version: 'v1', resource: 'pods', namespace });

/** Exact name wins; otherwise the prefix must match one pod. */
async function findPod(kube: Parameters<typeof listAll>[0], name: string, namespace?: string): Promise<Pod> {
  const candidates = (await listAll(kube, PODS(namespace))).map((p) => parseObject(podSchema, p, 'Pod'));
  const exact = candidates.filter((p) => p.metadata.name === name);
  const matches = exact.length ? exact : candidates.filter((p) => p.metadata.name.startsWith(name));
  const where = namespace ? `namespace ${namespace}` : 'any namespace';
  if (!matches.length) throw new NotFound(`no pod named or starting with "${name}" in ${where}`);
  if (matches.length > 1) {
    const names = matches.slice(0, 10).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    throw new UserError(`"${name}" matches ${matches.length} pods: ${names.join(', ')}${matches.length > 10 ? ', …' : ''}`, {
      hint: namespace ? 'give more of the name' : 'give more of the name, or -n NAMESPACE',
    });
  }
  return matches[0] as Pod;
}

export default defineOp({
  name: 'pods_logs',
  title: 'Pod logs',
  description:
    'Read the logs of a pod\'s container, bounded in lines and bytes. The pod may be named by a unique prefix ' +
    '(e.g. "jellyfin" finds jellyfin-7d9c-x2p4q). Use previous=true for a container in CrashLoopBackOff to see why ' +
    'it crashed. Returns the lines, which pod and container were read, and whether the output was truncated.',
  effect: 'read',
  input,
  output,
  args: ['pod'],
  rbac: [
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: '', resource: 'pods/log', verbs: ['get'] },
  ],
  timeoutMs: 30_000,
  async run(ctx, input) {
    const pod = await findPod(ctx.kube, input.pod, input.namespace);
    const namespace = pod.metadata.namespace ?? input.namespace ?? 'default';
    const containers = pod.spec.containers.map((c) => c.name);
    const container = input.container ?? pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ?? containers[0];
    if (!container) throw new UserError(`pod ${namespace}/${pod.metadata.name} has no containers`);
    if (input.container && !containers.includes(input.container)) {
      const init = (pod.status.initContainerStatuses ?? []).map((c) => c.name);
      if (!init.includes(input.container)) throw new UserError(`pod ${namespace}/${pod.metadata.name} has no container "${input.container}" (it has: ${containers.join(', ')})`);
    }
    // One byte more than the bound tells us whether the server had more to give.
    const text = await ctx.kube.logs(namespace, pod.metadata.name, {
      container,
      tailLines: input.tail,
      sinceSeconds: input.since ? parseDuration(input.since) : undefined,
      previous: input.previous,
      limitBytes: input.maxBytes + 1,
    });
    const truncated = Buffer.byteLength(text) > input.maxBytes;
    const kept = truncated ? Buffer.from(text).subarray(0, input.maxBytes).toString('utf8') : text;
    let lines = kept.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (truncated && lines.length) lines.pop(); // the last line may be cut in half
    const scanned = lines.length;
    if (input.grep) lines = await compilePattern(input.grep).filter(lines, ctx.signal);
    return { namespace, pod: pod.metadata.name, container, containers, previous: input.previous, lines, truncated, scanned };
  },
  summarize: (out) => ({
    verdict: 'ok',
    line: `${out.lines.length} line${out.lines.length === 1 ? '' : 's'} from ${out.namespace}/${out.pod} [${out.container}]${out.previous ? ' (previous)' : ''}${out.truncated ? ' (truncated)' : ''}`,
  }),
});
