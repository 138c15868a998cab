/**
 * A fake Rancher (2.9's v3 API, Norman collections): `Authorization: Bearer token-xxxxx:secret`,
 * 401 {"type":"error","status":"401","code":"Unauthorized","message":"must authenticate"} without
 * a valid one; /v3/clusters and /v3/nodes?clusterId=… as {type: "collection", resourceType, data,
 * pagination: {limit, total, next?, marker?}} (limit/marker paging, `next` a full URL). Read-only.
 */
import { z } from 'zod';
import { hex, secret } from './common.js';
import { Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';
import { hashString } from '../scenario/ids.js';

const conditions = z.array(z.strictObject({ type: z.string(), status: z.enum(['True', 'False', 'Unknown']), message: z.string().optional() })).default([]);

export const rancherScenario = z.strictObject({
  token: z.string().optional(),
  version: z.string().default('v2.9.3'),
  clusters: z
    .array(
      z.strictObject({
        id: z.string(),
        name: z.string(),
        state: z.string().default('active'),
        provider: z.string().default('k3s'),
        kubernetesVersion: z.string().default('v1.30.5+k3s1'),
        transitioningMessage: z.string().optional(),
        conditions,
        nodes: z
          .array(
            z.strictObject({
              name: z.string(),
              state: z.string().default('active'),
              roles: z.array(z.enum(['controlplane', 'etcd', 'worker'])).default(['worker']),
              ip: z.string(),
              transitioningMessage: z.string().optional(),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});
export type RancherScenario = z.output<typeof rancherScenario>;

export class FakeRancher {
  url = '';
  readonly token: string;
  readonly requests: { method: string; path: string }[] = [];
  private http: HttpService | undefined;

  constructor(private readonly s: RancherScenario) {
    this.token = s.token ?? `token-${hex(3).slice(0, 5)}:${secret(40).replace(/[-_]/g, 'x').slice(0, 54)}`;
  }

  reset(): void {
    this.requests.length = 0;
  }

  async start(host: string): Promise<void> {
    const r = new Router<Record<string, never>>();
    const none = {} as Record<string, never>;
    r.add(
      'GET',
      '/v3/clusters',
      (q) =>
        this.collection(
          q,
          'cluster',
          this.s.clusters.map((c) => this.cluster(c)),
        ),
      none,
    ).add(
      'GET',
      '/v3/nodes',
      (q) => {
        const clusterId = q.query.get('clusterId');
        const nodes = this.s.clusters
          .filter((c) => !clusterId || c.id === clusterId)
          .flatMap((c) => c.nodes.map((n) => this.node(c.id, n, c.kubernetesVersion)));
        return this.collection(q, 'node', nodes);
      },
      none,
    );
    this.http = await serveHttp(
      {
        router: r,
        before: (req) => {
          this.requests.push({ method: req.method, path: req.path });
          if (req.headers.authorization !== `Bearer ${this.token}`)
            return { status: 401, body: { type: 'error', status: '401', code: 'Unauthorized', message: 'must authenticate' } };
          return undefined;
        },
        notFound: () => ({ status: 404, body: { type: 'error', status: '404', code: 'NotFound', message: 'not found' } }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  /** limit (default 1000) and marker (the index to start at): `next` carries the rest as a full URL. */
  private collection(req: Req, resourceType: string, all: Array<Record<string, unknown>>): Reply {
    const limit = Math.max(1, Math.min(Number(req.query.get('limit') ?? 1000) || 1000, 1000));
    const start = Number(req.query.get('marker') ?? 0) || 0;
    const data = all.slice(start, start + limit);
    const nextQuery = new URLSearchParams(req.query);
    nextQuery.set('marker', String(start + limit));
    const pagination: Record<string, unknown> = { limit, total: all.length };
    if (start + limit < all.length) pagination.next = `${this.url}${req.path}?${nextQuery.toString()}`;
    return {
      status: 200,
      body: { type: 'collection', links: { self: `${this.url}${req.path}` }, actions: {}, pagination, sort: { order: 'asc', reverse: '' }, resourceType, data },
    };
  }

  private cluster(c: RancherScenario['clusters'][number]): Record<string, unknown> {
    const ready = c.conditions.length ? c.conditions : [{ type: 'Ready', status: c.state === 'active' ? 'True' : 'False' }];
    return {
      id: c.id,
      type: 'cluster',
      name: c.name,
      state: c.state,
      transitioning: c.transitioningMessage ? (c.state === 'error' ? 'error' : 'yes') : 'no',
      transitioningMessage: c.transitioningMessage ?? '',
      provider: c.provider,
      driver: c.provider,
      internal: c.id === 'local',
      nodeCount: c.nodes.length,
      version: { gitVersion: c.kubernetesVersion, major: '1', minor: '30' },
      conditions: ready.map((x) => ({ ...x, lastUpdateTime: '2025-01-01T00:00:00Z' })),
      links: { self: `${this.url}/v3/clusters/${c.id}` },
    };
  }

  private node(clusterId: string, n: RancherScenario['clusters'][number]['nodes'][number], version: string): Record<string, unknown> {
    return {
      id: `${clusterId}:m-${hashString(`${clusterId}/${n.name}`, 8)}`,
      type: 'node',
      clusterId,
      nodeName: n.name,
      hostname: n.name,
      ipAddress: n.ip,
      state: n.state,
      transitioning: n.transitioningMessage ? 'yes' : 'no',
      transitioningMessage: n.transitioningMessage ?? '',
      unschedulable: n.state === 'cordoned',
      controlPlane: n.roles.includes('controlplane'),
      etcd: n.roles.includes('etcd'),
      worker: n.roles.includes('worker'),
      info: { kubernetes: { kubeletVersion: version, kubeProxyVersion: version }, os: { operatingSystem: 'Debian GNU/Linux 12 (bookworm)' } },
      conditions: [{ type: 'Ready', status: n.state === 'unavailable' ? 'Unknown' : 'True' }],
    };
  }
}
