import { readFile, readdir } from 'node:fs/promises';
import {
  INTERNAL_ERROR,
  INVALID_PARAMS,
  type ReadResourceResult,
  type Resource,
  type ResourceLink,
  type ResourceTemplateType,
  type Server,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { isHomelabError } from '../../core/errors.js';
import { namespaceSchema, objectNameSchema } from '../../core/schemas.js';
import { packageRoot } from '../install-paths.js';
import { RpcError } from './rpc-error.js';
import { errorText } from './server.js';

/** How many findings the health report resource carries (cluster_health's limit). */
const HEALTH_REPORT_FINDINGS = 10;
/** Runs a read tool through runOp, as a tool call would (`context` among the input picks a kubeconfig context), and gives its validated output. */
export type RunRead = (tool: string, input: Record<string, unknown>, signal: AbortSignal) => Promise<Record<string, unknown>>;

/** Where the runbooks are, from src/, dist/ and the bundle alike (the package ships docs/runbooks). */
const runbooksDir = () => new URL('docs/runbooks/', packageRoot(import.meta.url));
const SCHEME = 'homelab:';
/** Bounds on what a resource read returns: a resource is read into the conversation like a tool result. */
const LOG_TAIL = 100;
const LOG_MAX_BYTES = 6 * 1024;
/** Links per tool result: enough for the worst findings, small beside the 8 KB budget (about 130 bytes each). */
export const MAX_LINKS = 4;

// ---------------------------------------------------------------------------------------------
// Runbooks: markdown files with a front matter that says what they explain.

/** What a runbook explains: findings of a kind, with one of these reasons, whose message contains text; or an error of that class. */
const explainsSchema = z
  .object({
    kind: z.string().optional(),
    reasons: z.array(z.string()).optional(),
    text: z.string().optional(),
    error: z.string().optional(),
  })
  .strict();
const frontMatterSchema = z.object({ title: z.string(), description: z.string(), explains: z.array(explainsSchema).default([]) }).strict();
type Explains = z.infer<typeof explainsSchema>;

export interface Runbook {
  slug: string;
  uri: string;
  title: string;
  description: string;
  explains: Explains[];
  /** The markdown without its front matter. */
  body: string;
}

let runbooksCache: Promise<Runbook[]> | undefined;

/** Every runbook, read once per process (a missing or malformed one is a build error: the test reads them all). */
export function loadRunbooks(): Promise<Runbook[]> {
  runbooksCache ??= (async () => {
    const { parse } = await import('yaml');
    const files = (await readdir(runbooksDir())).filter((f) => f.endsWith('.md')).sort();
    return Promise.all(
      files.map(async (file) => {
        const text = await readFile(new URL(file, runbooksDir()), 'utf8');
        const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
        if (!match?.[1]) throw new Error(`internal error: docs/runbooks/${file} has no front matter`);
        const meta = frontMatterSchema.parse(parse(match[1]));
        const slug = file.replace(/\.md$/, '');
        return { slug, uri: `homelab://runbooks/${slug}`, ...meta, body: text.slice(match[0].length) };
      }),
    );
  })();
  runbooksCache.catch(() => {
    runbooksCache = undefined;
  });
  return runbooksCache;
}

// ---------------------------------------------------------------------------------------------
// Links from a tool result to what explains it.

const findingLike = z.looseObject({
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
  reason: z.string(),
  message: z.string(),
  fix: z.looseObject({ tool: z.string(), input: z.record(z.string(), z.unknown()) }).optional(),
});
type FindingLike = z.infer<typeof findingLike>;

function explainsFinding(e: Explains, f: FindingLike): boolean {
  if (e.error !== undefined) return false;
  return (
    (e.kind === undefined || e.kind === f.kind) &&
    (e.reasons === undefined || e.reasons.includes(f.reason)) &&
    (e.text === undefined || f.message.includes(e.text))
  );
}

function explainsError(e: Explains, kind: string, message: string): boolean {
  return e.error === kind && (e.text === undefined || message.includes(e.text));
}

/** A link as small as it can be: the name says what it is (clients show it when there is no title). */
function link(uri: string, name: string, mimeType: string): ResourceLink {
  return { type: 'resource_link', uri, name, mimeType };
}

/** `homelab://PATH?k=v`, the path's segments encoded, the query without the parameters left undefined. */
function homelabUri(path: readonly string[], query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  return `homelab://${path.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
}

/**
 * What explains each finding, worst first (findings come sorted): its logs, its Flux object, a
 * runbook. `context`: the kubeconfig context the call ran in, carried by the links so they read the same cluster.
 */
export async function findingLinks(output: unknown, context?: string): Promise<ResourceLink[]> {
  const findings = z.object({ findings: z.array(z.unknown()) }).safeParse(output).data?.findings ?? [];
  if (findings.length === 0) return [];
  const [runbooks, { FLUX_KINDS }] = await Promise.all([loadRunbooks(), import('../../ops/flux/kinds.js')]);
  const links = new Map<string, ResourceLink>();
  const add = (l: ResourceLink) => {
    if (links.size < MAX_LINKS && !links.has(l.uri)) links.set(l.uri, l);
  };
  for (const raw of findings) {
    if (links.size >= MAX_LINKS) break;
    const f = findingLike.safeParse(raw).data;
    if (!f) continue;
    const where = `${f.namespace ? `${f.namespace}/` : ''}${f.name}`;
    if (f.fix?.tool === 'pods_logs') {
      const input = z
        .object({ pod: z.string(), namespace: z.string(), container: z.string().optional(), previous: z.boolean().optional() })
        .safeParse(f.fix.input).data;
      const uri = homelabUri(['logs', input?.namespace ?? '', input?.pod ?? ''], {
        container: input?.container,
        previous: input?.previous ? 'true' : undefined,
        context,
      });
      if (input) add(link(uri, `${input.previous ? 'Previous logs' : 'Logs'} of pod ${input.namespace}/${input.pod}`, 'text/plain'));
    }
    const flux = FLUX_KINDS.find((k) => k.kind === f.kind);
    if (flux && f.namespace) {
      add(link(homelabUri(['flux', flux.key, f.namespace, f.name], { context }), `${f.kind} ${where}: state and last failure`, 'application/json'));
    }
    for (const rb of runbooks) if (rb.explains.some((e) => explainsFinding(e, f))) add(link(rb.uri, `Runbook: ${rb.title}`, 'text/markdown'));
  }
  return [...links.values()];
}

/** The runbook that explains a failed call (a 403 on pods/exec, a Pi-hole 429), if one does. */
export async function errorLinks(err: unknown): Promise<ResourceLink[]> {
  if (!isHomelabError(err)) return [];
  const runbooks = await loadRunbooks();
  return runbooks
    .filter((rb) => rb.explains.some((e) => explainsError(e, err.kind, err.message)))
    .slice(0, MAX_LINKS)
    .map((rb) => link(rb.uri, `Runbook: ${rb.title}`, 'text/markdown'));
}

// ---------------------------------------------------------------------------------------------
// resources/list, resources/templates/list, resources/read.

const HEALTH: Resource = {
  uri: 'homelab://health',
  name: 'health',
  title: 'Latest health report',
  description: 'cluster_health run now: verdict, summary and the ten worst findings as JSON (?context=NAME: another kubeconfig context)',
  mimeType: 'application/json',
};

const TEMPLATES: ResourceTemplateType[] = [
  {
    uriTemplate: 'homelab://logs/{namespace}/{pod}{?container,previous,context}',
    name: 'logs',
    title: 'Pod logs',
    description: `The last ${LOG_TAIL} lines (at most ${LOG_MAX_BYTES / 1024} KB) of a pod's log; previous=true: the crashed instance`,
    mimeType: 'text/plain',
  },
  {
    uriTemplate: 'homelab://flux/{kind}/{namespace}/{name}{?context}',
    name: 'flux',
    title: 'Flux object',
    description: 'A Flux object (kind: helmrelease, kustomization, …): its state, the failure it reports and the findings about it, as JSON',
    mimeType: 'application/json',
  },
  {
    uriTemplate: 'homelab://runbooks/{name}',
    name: 'runbook',
    title: 'Runbook',
    description: 'How to diagnose and fix one kind of problem (resources/list lists them)',
    mimeType: 'text/markdown',
  },
];

/**
 * A resource that does not exist: -32602 with data { uri } exactly, on every revision (the 2026-07-28
 * spec's MUST; the SDK maps the older -32002 to it anyway, and clients accept both).
 */
function notFound(uri: string, why: string): RpcError {
  return new RpcError(INVALID_PARAMS, `Resource not found: ${uri}: ${why}`, { uri });
}

/** A path segment that must be a Kubernetes name; the op validates again, this only gives a clear error early. */
function segment(uri: string, value: string | undefined, schema: z.ZodType<string>, what: string): string {
  const parsed = schema.safeParse(value === undefined ? undefined : decodeURIComponent(value));
  if (!parsed.success) throw notFound(uri, `${what} ${value === undefined ? 'is missing' : `"${value}" is not valid`}`);
  return parsed.data;
}

function textContent(uri: string, mimeType: string, text: string): ReadResourceResult {
  return { contents: [{ uri, mimeType, text }] };
}

async function readResource(uri: string, runRead: RunRead, signal: AbortSignal): Promise<ReadResourceResult> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RpcError(INVALID_PARAMS, `not a URI: ${uri}`);
  }
  if (url.protocol !== SCHEME) throw notFound(uri, 'this server serves homelab:// resources only');
  const parts = url.pathname.split('/').filter(Boolean);
  // Reads of the cluster run in the context a link names (a call with `context` gives such links).
  const context = url.searchParams.get('context') ?? undefined;
  const inContext = (input: Record<string, unknown>) => (context === undefined ? input : { ...input, context });
  switch (url.host) {
    case 'health': {
      if (parts.length > 0) throw notFound(uri, 'homelab://health has no path');
      // A report: the ten worst findings, more than a tool call's default few, still within the budget.
      return textContent(uri, 'application/json', JSON.stringify(await runRead('cluster_health', inContext({ limit: HEALTH_REPORT_FINDINGS }), signal)));
    }
    case 'logs': {
      if (parts.length !== 2) throw notFound(uri, 'expected homelab://logs/NAMESPACE/POD');
      const namespace = segment(uri, parts[0], namespaceSchema, 'namespace');
      const pod = segment(uri, parts[1], objectNameSchema, 'pod');
      const container = url.searchParams.get('container') ?? undefined;
      const previous = url.searchParams.get('previous') === 'true';
      const out = z
        .object({ lines: z.array(z.string()), truncated: z.boolean(), container: z.string() })
        .parse(await runRead('pods_logs', inContext({ pod, namespace, container, previous, tail: LOG_TAIL, maxBytes: LOG_MAX_BYTES }), signal));
      const head = `# ${previous ? 'previous instance of ' : ''}pod ${namespace}/${pod}, container ${out.container}: last ${out.lines.length} lines${out.truncated ? ` (cut at ${LOG_MAX_BYTES / 1024} KB)` : ''}`;
      return textContent(uri, 'text/plain', [head, ...out.lines].join('\n'));
    }
    case 'flux': {
      if (parts.length !== 3) throw notFound(uri, 'expected homelab://flux/KIND/NAMESPACE/NAME');
      const { FLUX_KINDS } = await import('../../ops/flux/kinds.js');
      const key = decodeURIComponent(parts[0] ?? '');
      const kind = FLUX_KINDS.find((k) => k.key === key);
      if (!kind) throw notFound(uri, `unknown Flux kind "${key}" (one of: ${FLUX_KINDS.map((k) => k.key).join(', ')})`);
      const namespace = segment(uri, parts[1], namespaceSchema, 'namespace');
      const name = segment(uri, parts[2], objectNameSchema, 'name');
      const out = z
        .object({
          objects: z.array(z.looseObject({ kind: z.string(), name: z.string() })),
          findings: z.array(z.looseObject({ kind: z.string(), name: z.string() })),
        })
        .parse(await runRead('flux_status', inContext({ namespace, kind: kind.key }), signal));
      const object = out.objects.find((o) => o.kind === kind.kind && o.name === name);
      if (!object) throw notFound(uri, `no ${kind.kind} ${namespace}/${name}`);
      const findings = out.findings.filter((f) => f.kind === kind.kind && f.name === name);
      return textContent(uri, 'application/json', JSON.stringify({ object, findings }));
    }
    case 'runbooks': {
      const slug = parts.length === 1 ? decodeURIComponent(parts[0] ?? '') : '';
      const runbook = (await loadRunbooks()).find((rb) => rb.slug === slug);
      if (!runbook) throw notFound(uri, `no runbook "${slug}" (resources/list lists them)`);
      return textContent(uri, 'text/markdown', runbook.body);
    }
    default:
      throw notFound(uri, 'unknown resource (resources/list and resources/templates/list say what there is)');
  }
}

/**
 * Resources: the health report (cluster_health, run when read), the runbooks in docs/runbooks, and
 * templates for what findings link to (a pod's logs, a Flux object). Reads that need the cluster
 * run a read op through runRead, so they are validated, bounded and timed out like tool calls.
 */
export function registerResources(server: Server, runRead: RunRead): void {
  server.registerCapabilities({ resources: { listChanged: false } });
  server.setRequestHandler('resources/list', async () => ({
    resources: [
      HEALTH,
      ...(await loadRunbooks()).map((rb): Resource => ({
        uri: rb.uri,
        name: rb.slug,
        title: rb.title,
        description: rb.description,
        mimeType: 'text/markdown',
      })),
    ],
  }));
  server.setRequestHandler('resources/templates/list', async () => ({ resourceTemplates: TEMPLATES }));
  server.setRequestHandler('resources/read', async (request, ctx) => {
    try {
      return await readResource(request.params.uri, runRead, ctx.mcpReq.signal);
    } catch (err) {
      if (err instanceof RpcError) throw err;
      // What the op said (the same message a tool call gives), as the JSON-RPC error of the read.
      throw isHomelabError(err) && err.kind === 'NotFound' ? notFound(request.params.uri, errorText(err)) : new RpcError(INTERNAL_ERROR, errorText(err));
    }
  });
}
