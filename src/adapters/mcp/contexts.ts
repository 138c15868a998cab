import type { OpContextBase } from '../../core/op.js';
import type { KubePort } from '../../core/ports/kube.js';
import { UserError } from '../../core/errors.js';
import type { KubeContexts } from '../runtime.js';
import type { ToolEntry } from './tools.js';

/** The kubeconfig's contexts, and a client for each: what lets cluster tools take `context`. */
export interface Clusters {
  contexts(): Promise<KubeContexts | undefined>;
  kubeFor(context: string): KubePort;
}

/** The argument every cluster tool takes when the kubeconfig has several contexts. */
export const CONTEXT_ARG = 'context';

type Listed = Pick<ToolEntry, 'name' | 'title' | 'description' | 'inputSchema' | 'outputSchema' | 'annotations'>;

/** Several contexts to choose from, or undefined (one context, none, in-cluster, or a kubeconfig that cannot be read). */
export async function choosableContexts(clusters: Clusters | undefined): Promise<KubeContexts | undefined> {
  const contexts = await clusters?.contexts().catch(() => undefined);
  return contexts && contexts.names.length > 1 ? contexts : undefined;
}

/** A cluster tool's tools/list entry with `context` among its inputs, when there is a choice. */
export function listedWithContext(tool: Listed & { cluster: boolean }, contexts: KubeContexts | undefined): Listed {
  const { name, title, description, inputSchema, outputSchema, annotations } = tool;
  if (!contexts || !tool.cluster) return { name, title, description, inputSchema, outputSchema, annotations };
  const properties = (inputSchema.properties ?? {}) as Record<string, unknown>;
  const context = {
    type: 'string',
    enum: contexts.names,
    description: `Kubeconfig context to run against${contexts.default ? ` (default: ${contexts.default})` : ''}`,
  };
  return { name, title, description, inputSchema: { ...inputSchema, properties: { ...properties, [CONTEXT_ARG]: context } }, outputSchema, annotations };
}

/**
 * Splits `context` off a call's arguments and gives the op context to run in: the default one's when
 * absent or named, else a client for the named context. Refused with the reason: a tool that does
 * not use the cluster, a server without a kubeconfig (in-cluster), a name the kubeconfig lacks.
 */
export async function runContextFor(
  tool: Pick<ToolEntry, 'name' | 'cluster'>,
  args: Record<string, unknown>,
  base: OpContextBase,
  clusters: Clusters | undefined,
): Promise<{ input: Record<string, unknown>; context: OpContextBase; contextName: string | undefined }> {
  if (!(CONTEXT_ARG in args)) return { input: args, context: base, contextName: undefined };
  const { [CONTEXT_ARG]: requested, ...input } = args;
  if (!tool.cluster) throw new UserError(`${CONTEXT_ARG}: ${tool.name} does not talk to the cluster, so it takes no context`);
  if (typeof requested !== 'string') throw new UserError(`${CONTEXT_ARG}: expected the name of a kubeconfig context`);
  const contexts = await clusters?.contexts();
  if (!contexts)
    throw new UserError(`${CONTEXT_ARG}: this server has no kubeconfig (it uses the in-cluster service account), so there is no context to choose`);
  if (!contexts.names.includes(requested)) {
    throw new UserError(`${CONTEXT_ARG}: the kubeconfig has no context named "${requested}" (it has: ${contexts.names.join(', ') || 'none'})`);
  }
  if (requested === contexts.default || !clusters) return { input, context: base, contextName: undefined };
  return { input, context: { ...base, kube: clusters.kubeFor(requested) }, contextName: requested };
}
