/**
 * The Rancher client: read-only calls of the v3 API (Rancher 2.7 to 2.10, Norman collections:
 * {type: "collection", data, pagination: {next, limit, total}}). Paths: /v3/clusters and
 * /v3/nodes?clusterId=…; `pagination.next` is followed only when it stays on /v3/ of the
 * configured server. The token (an API key's token-xxxxx:secret) travels only in
 * `Authorization: Bearer …`.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { Upstream } from '../../core/errors.js';
import type { RancherCluster, RancherCondition, RancherNode, RancherPort } from '../../core/ports/rancher.js';
import type { ServiceDeps } from '../services.js';
import { JsonApi } from './json-api.js';
import { HttpService } from './request.js';

type RancherConfig = NonNullable<Config['services']['rancher']>;

const str = z.string().nullish();
const conditionSchema = z.object({ type: z.string(), status: z.string(), message: str, reason: str });
const collection = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), pagination: z.object({ next: str, total: z.number().nullish() }).nullish() });

const clusterSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string().default('unknown'),
  transitioning: str,
  transitioningMessage: str,
  provider: str,
  driver: str,
  version: z.object({ gitVersion: str }).nullish(),
  nodeCount: z.number().nullish(),
  conditions: z.array(conditionSchema).nullish(),
  internal: z.boolean().nullish(),
});

const nodeSchema = z.object({
  id: z.string(),
  clusterId: z.string(),
  nodeName: str,
  hostname: str,
  ipAddress: str,
  state: z.string().default('unknown'),
  transitioningMessage: str,
  controlPlane: z.boolean().nullish(),
  etcd: z.boolean().nullish(),
  worker: z.boolean().nullish(),
  unschedulable: z.boolean().nullish(),
  info: z.object({ kubernetes: z.object({ kubeletVersion: str }).nullish() }).nullish(),
  conditions: z.array(conditionSchema).nullish(),
});

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const conditions = (list: Array<z.output<typeof conditionSchema>> | null | undefined): RancherCondition[] =>
  (list ?? []).map((c) => ({ type: c.type, status: c.status, message: opt(c.message) || undefined, reason: opt(c.reason) || undefined }));

/** Pages followed at most (100 items each). */
const MAX_PAGES = 50;

export async function createRancherClient(config: RancherConfig, deps: ServiceDeps): Promise<RancherClient> {
  const token = await resolveSecret(config.token, deps.env);
  const http = new HttpService({ name: 'Rancher', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new RancherClient(
    new JsonApi(
      http,
      { headers: { Authorization: `Bearer ${token}` }, hint: 'the token services.rancher.token points at (an API key: token-xxxxx:secret)' },
      'is it Rancher 2.7 or newer (the v3 API)?',
    ),
  );
}

export class RancherClient implements RancherPort {
  constructor(private readonly api: JsonApi) {}

  withSignal(signal: AbortSignal): RancherPort {
    return new RancherClient(this.api.withSignal(signal));
  }

  get target(): string {
    return this.api.target;
  }

  async clusters(): Promise<RancherCluster[]> {
    const list = await this.all(clusterSchema, '/v3/clusters', {});
    return list.map((c) => ({
      id: c.id,
      name: c.name,
      state: c.state,
      transitioning: opt(c.transitioning),
      transitioningMessage: opt(c.transitioningMessage) || undefined,
      provider: opt(c.provider) ?? opt(c.driver),
      kubernetesVersion: opt(c.version?.gitVersion),
      nodeCount: opt(c.nodeCount),
      conditions: conditions(c.conditions),
      internal: opt(c.internal),
    }));
  }

  async nodes(clusterId: string): Promise<RancherNode[]> {
    const list = await this.all(nodeSchema, '/v3/nodes', { clusterId });
    return list.map((n) => ({
      id: n.id,
      clusterId: n.clusterId,
      name: n.nodeName ?? n.hostname ?? n.id,
      hostname: opt(n.hostname),
      ipAddress: opt(n.ipAddress),
      state: n.state,
      transitioningMessage: opt(n.transitioningMessage) || undefined,
      roles: [n.controlPlane && 'controlplane', n.etcd && 'etcd', n.worker && 'worker'].filter((r): r is string => Boolean(r)),
      unschedulable: opt(n.unschedulable),
      kubeletVersion: opt(n.info?.kubernetes?.kubeletVersion),
      conditions: conditions(n.conditions),
    }));
  }

  /** Every page of a collection; `next` links are followed only within /v3/ of this server. */
  private async all<S extends z.ZodType>(item: S, path: string, query: Record<string, string>): Promise<Array<z.output<S>>> {
    const out: Array<z.output<S>> = [];
    let call: { path: string; query: Record<string, string> } | undefined = { path, query: { ...query, limit: '100' } };
    for (let pages = 0; call && pages < MAX_PAGES; pages++) {
      const answer: z.output<ReturnType<typeof collection<S>>> = await this.api.get(collection(item), call);
      out.push(...answer.data);
      call = answer.pagination?.next ? this.nextCall(answer.pagination.next) : undefined;
    }
    return out;
  }

  private nextCall(next: string): { path: string; query: Record<string, string> } {
    const url = new URL(next, this.target);
    const base = new URL(this.target);
    if (url.origin !== base.origin || !url.pathname.startsWith('/v3/'))
      throw new Upstream(`Rancher at ${this.target} answered with a next page outside its /v3/ API (${url.origin}${url.pathname})`);
    return { path: url.pathname, query: Object.fromEntries(url.searchParams) };
  }
}
