import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { NotFound, UserError } from '../../core/errors.js';
import type { KubeObject, Page, ReadAs } from '../../core/ports/kube.js';
import { namespaceSchema, objectNameSchema } from '../../core/schemas.js';
import { fix, fixSchema } from '../shared/fix.js';
import { plural } from '../shared/format.js';
import { continueSchema, decodeToken, encodeToken, type PageToken } from './paging.js';
import { SECRET_NOTE, fitObject, jsonBytes, presentObject } from './present.js';
import { holdsSecrets, qualifiedName, refOf, resolveResource, resourceInfo, resourceInfoSchema } from './resources.js';
import { VIEW_RBAC, kindSchema, labelSelectorSchema, splitKindName } from './view.js';

export const OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;
/** A cell longer than this is cut in a table (wide and the objects show it whole). */
const CELL_MAX = 200;
/** An answer's bounds by default: within the MCP door's budget (8 KB with its text copy). */
const DEFAULT_LIMIT = 50;
const DEFAULT_MAX_BYTES = 3000;

const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Cell = z.infer<typeof cellSchema>;

const output = resourceInfoSchema.extend({
  namespace: z.string().optional().describe('The namespace read; absent: every namespace (or cluster-scoped)'),
  columns: z.array(z.string()).optional().describe("The server's printer columns, as kubectl get shows them"),
  rows: z.array(z.object({ namespace: z.string().optional(), name: z.string(), cells: z.array(cellSchema) })).optional(),
  objects: z.array(z.record(z.string(), z.unknown())).optional().describe('With output json/yaml: the objects'),
  shown: z.number().int(),
  total: z.number().int().optional().describe('All that match, when the server counts them'),
  truncated: z.boolean(),
  next: fixSchema.optional().describe('The call that shows what follows'),
  notes: z.array(z.string()),
});
type Output = z.infer<typeof output>;

/** A cell as the server sent it; objects as JSON; long text cut unless wide. */
function cellOf(value: unknown, wide: boolean): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return !wide && text.length > CELL_MAX ? `${text.slice(0, CELL_MAX - 1)}…` : text;
}

/** "AGE" from creationTimestamp, for a server that answers no Table. */
function ageOf(obj: KubeObject, now: Date): string {
  const created = Date.parse(obj.metadata.creationTimestamp ?? '');
  if (Number.isNaN(created)) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - created) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

/**
 * The Table's columns a person asked for, in the server's order as kubectl prints them (priority 0;
 * all with wide): NAME is wherever the server puts it (first, or only with wide for events).
 */
function tableView(page: Page, wide: boolean, now: Date): { columns: string[]; cellsOf: (i: number) => Cell[] } {
  const table = page.table;
  if (!table) return { columns: ['NAME', 'AGE'], cellsOf: (i) => [page.items[i]?.metadata.name ?? '', ageOf(page.items[i] as KubeObject, now)] };
  const keep = table.columns.map((c, i) => ({ c, i })).filter(({ c }) => wide || c.priority === 0);
  return {
    columns: keep.map(({ c }) => c.name.toUpperCase()),
    cellsOf: (i) => keep.map(({ i: at }) => cellOf(table.rows[i]?.[at], wide)),
  };
}

export default defineOp({
  name: 'k8s_get',
  title: 'Get any Kubernetes resource',
  description:
    'As kubectl get (pods, deploy, hr, KIND/NAME), as table or json/yaml, for what no other tool covers. Secrets show metadata only. When cut, next continues.',
  effect: 'read',
  input: z
    .object({
      kind: kindSchema.describe('As kubectl: pods, deploy, hr, KIND/NAME'),
      name: objectNameSchema.optional(),
      namespace: namespaceSchema.optional().describe('Only this namespace; default: every namespace'),
      labelSelector: labelSelectorSchema.optional().describe('e.g. app=jellyfin'),
      output: z.enum(OUTPUTS).default('table').describe('wide: every column; json, yaml: the objects'),
      limit: z.number().int().min(1).max(500).default(DEFAULT_LIMIT).describe('Objects per answer'),
      maxBytes: z
        .number()
        .int()
        .min(1000)
        .max(4 * 1024 * 1024)
        .default(DEFAULT_MAX_BYTES),
      continue: continueSchema.optional().describe("A previous answer's next"),
    })
    .strict(),
  output,
  args: ['kind', 'name'],
  rbac: VIEW_RBAC,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const { kind: typed, name } = splitKindName(input.kind, input.name);
    if (name !== undefined) objectNameSchema.parse(name);
    const discovery = await ctx.kube.apiResources();
    const resource = resolveResource(typed, discovery);
    const secret = holdsSecrets(resource);
    const asObjects = input.output === 'json' || input.output === 'yaml';
    const as: ReadAs = asObjects ? (secret ? 'metadata' : 'objects') : 'table';
    const notes: string[] = [];
    if (input.namespace && !resource.namespaced) notes.push(`${qualifiedName(resource)} are cluster-scoped: the namespace is not used`);
    const namespace = resource.namespaced ? input.namespace : undefined;
    const ref = refOf(resource, namespace);
    const verb = name !== undefined && namespace !== undefined ? 'get' : 'list';
    if (!resource.verbs.includes(verb))
      throw new UserError(`${qualifiedName(resource)} cannot be read with ${verb} (the server allows: ${resource.verbs.join(', ') || 'nothing'})`);

    let page: Page;
    let token: PageToken = { s: 0 };
    if (name !== undefined && (namespace !== undefined || !resource.namespaced)) {
      page = await ctx.kube.read(ref, name, { as, strict: secret });
    } else {
      if (input.continue) token = decodeToken(input.continue);
      page = await ctx.kube.listPage(ref, {
        as,
        strict: secret,
        labelSelector: input.labelSelector,
        fieldSelector: name !== undefined ? `metadata.name=${name}` : undefined,
        limit: token.s + input.limit,
        continue: token.c,
        resourceVersion: token.rv,
      });
      if (name !== undefined && page.items.length === 0) {
        throw new NotFound(`${qualifiedName(resource)} "${name}" not found in any namespace`, { hint: `list them: homelab get ${typed}` });
      }
    }

    const view = tableView(page, input.output === 'wide', ctx.now());
    const rows: NonNullable<Output['rows']> = [];
    const objects: KubeObject[] = [];
    let bytes = 0;
    let shown = 0;
    for (let i = token.s; i < page.items.length && shown < input.limit; i++) {
      const item = page.items[i] as KubeObject;
      if (asObjects) {
        const presented = presentObject(item, resource);
        for (const note of presented.notes) if (!notes.includes(note)) notes.push(note);
        const fitted = fitObject(presented.object, Math.max(input.maxBytes - bytes, 0));
        if (shown > 0 && (fitted.cut || bytes + jsonBytes(fitted.object) > input.maxBytes)) break;
        if (fitted.cut)
          notes.push(`${item.metadata.name} is larger than maxBytes (${input.maxBytes}): its largest parts are not shown; raise maxBytes to see them`);
        objects.push(fitted.object);
        bytes += jsonBytes(fitted.object);
      } else {
        const row = { ...(item.metadata.namespace ? { namespace: item.metadata.namespace } : {}), name: item.metadata.name, cells: view.cellsOf(i) };
        if (shown > 0 && bytes + jsonBytes(row) > input.maxBytes) break;
        rows.push(row);
        bytes += jsonBytes(row);
        if (secret && !notes.includes(SECRET_NOTE)) notes.push(SECRET_NOTE);
      }
      shown++;
    }
    const stoppedAt = token.s + shown;
    const restOfPage = page.items.length - stoppedAt;
    const nextToken: PageToken | undefined =
      restOfPage > 0
        ? { ...(token.c ? { c: token.c } : token.rv || page.resourceVersion ? { rv: token.rv ?? page.resourceVersion } : {}), s: stoppedAt }
        : page.continue
          ? { c: page.continue, s: 0 }
          : undefined;
    const known = page.remainingItemCount !== undefined ? page.items.length + page.remainingItemCount : page.continue ? undefined : page.items.length;
    const total = known !== undefined && token.c === undefined ? known : undefined;
    const next = nextToken
      ? fix('k8s_get', {
          kind: input.kind,
          name: input.name,
          namespace: input.namespace,
          labelSelector: input.labelSelector,
          output: input.output === 'table' ? undefined : input.output,
          limit: input.limit === DEFAULT_LIMIT ? undefined : input.limit,
          maxBytes: input.maxBytes === DEFAULT_MAX_BYTES ? undefined : input.maxBytes,
          continue: encodeToken(nextToken),
        })
      : undefined;
    return {
      ...resourceInfo(resource),
      ...(namespace ? { namespace } : {}),
      ...(asObjects ? { objects } : { columns: view.columns, rows }),
      shown,
      ...(total !== undefined ? { total } : {}),
      truncated: next !== undefined,
      ...(next ? { next } : {}),
      notes,
    };
  },
  summarize(out) {
    const what = plural(out.shown, out.kind.toLowerCase(), out.resource.split('.')[0]);
    const where = out.namespace ? ` in namespace ${out.namespace}` : out.namespaced ? ' in every namespace' : '';
    if (out.shown === 0 && !out.truncated) return { verdict: 'ok', line: `no ${out.resource} found${where}` };
    const of = out.truncated ? ` (more follow${out.total !== undefined ? `: ${out.total} in all` : ''})` : '';
    return { verdict: 'ok', line: `${what}${where}${of}` };
  },
});
