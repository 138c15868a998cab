/**
 * Watches: a chunked stream of {"type","object"} lines, as the apiserver sends. Without a
 * resourceVersion (or "0") the current objects come first as ADDED; with one, the changes after
 * it are replayed from the store's history (410 Expired as an ERROR event when it is too old).
 * The stream ends at timeoutSeconds (default 30 minutes) or when the sandbox stops.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import type { ResourceDef } from './kinds.js';
import { checkFields, matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { ServerContext } from './server.js';
import type { Change } from './store.js';
import { toTable } from './table.js';
import type { KubeObject } from './types.js';

export function serveWatch(
  ctx: ServerContext,
  r: ResourceDef,
  namespace: string | undefined,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  present: (o: KubeObject) => KubeObject,
): void {
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
  checkFields(r, fields);
  const matches = (o: KubeObject | undefined): boolean =>
    !!o && (namespace === undefined || o.metadata.namespace === namespace) && matchLabels(labels, o.metadata.labels) && matchFields(fields, o);
  const table = (req.headers.accept ?? '').includes('as=Table');
  const include = q.get('includeObject') === 'Object' ? 'Object' : q.get('includeObject') === 'None' ? 'None' : 'Metadata';
  const wrap = (o: KubeObject): unknown => (table ? toTable(r, [present(o)], include, ctx.now(), { resourceVersion: o.metadata.resourceVersion }) : present(o));

  const rvParam = q.get('resourceVersion') ?? '';
  let backlog: { type: string; object: unknown }[] = [];
  if (rvParam === '' || rvParam === '0') {
    backlog = ctx.store
      .scan(r, namespace)
      .filter(matches)
      .map((o) => ({ type: 'ADDED', object: wrap(o) }));
  } else {
    const rv = Number(rvParam);
    const since = Number.isInteger(rv) ? ctx.store.changesSince(rv) : undefined;
    if (!since) {
      const e = new ApiError(410, 'Expired', `too old resource version: ${rvParam} (${ctx.store.oldestRevision})`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.end(JSON.stringify({ type: 'ERROR', object: e.status }) + '\n');
      return;
    }
    backlog = since.filter((c) => c.resource === r).flatMap((c) => eventFor(c, matches, wrap));
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  for (const e of backlog) res.write(JSON.stringify(e) + '\n');
  ctx.watches.add(res);
  const unsubscribe = ctx.store.onChange((c) => {
    if (c.resource !== r || res.writableEnded) return;
    for (const e of eventFor(c, matches, wrap)) res.write(JSON.stringify(e) + '\n');
  });
  const timeout = Number(q.get('timeoutSeconds') ?? 1800);
  const timer = setTimeout(() => res.end(), Math.max(0, Number.isFinite(timeout) ? timeout : 1800) * 1000);
  const done = (): void => {
    clearTimeout(timer);
    unsubscribe();
    ctx.watches.delete(res);
  };
  res.on('close', done);
  res.on('finish', done);
}

function eventFor(c: Change, matches: (o: KubeObject | undefined) => boolean, wrap: (o: KubeObject) => unknown): { type: string; object: unknown }[] {
  const now = matches(c.object);
  const before = matches(c.old);
  if (c.type === 'MODIFIED') {
    if (now && before) return [{ type: 'MODIFIED', object: wrap(c.object) }];
    if (now) return [{ type: 'ADDED', object: wrap(c.object) }];
    if (before) return [{ type: 'DELETED', object: wrap(c.object) }];
    return [];
  }
  return now ? [{ type: c.type, object: wrap(c.object) }] : [];
}
