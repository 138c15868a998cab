/**
 * HTTP upgrade requests (the WebSocket exec/attach/portforward streams). Authentication and
 * authorization happen here like for any request; a WebSocket exec needs both `get` (the GET of
 * the upgrade) and `create` on pods/exec, as the apiserver requires since 1.35. Authorized
 * pods/exec upgrades are served by exec/ (scripted answers); attach and port-forward are refused
 * with 400.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, notFound } from './errors.js';
import type { ExecService } from '../exec/index.js';
import { attributesOf, requestInfo } from './rbac.js';
import { authenticate, type ServerContext } from './server.js';

const REASON_PHRASES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

function reject(socket: Socket, err: ApiError): void {
  const body = JSON.stringify(err.status);
  const text = REASON_PHRASES[err.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${err.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function handleUpgrade(ctx: ServerContext, req: IncomingMessage, socket: Socket, head: Buffer, exec?: ExecService): void {
  try {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    authenticate(ctx, req);
    const ri = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const base = attributesOf(ri);
    const streaming = ri.resource === 'pods' && ['exec', 'attach', 'portforward'].includes(ri.subresource);
    ctx.authorizer.authorize(streaming && base.verb === 'get' ? [base, { ...base, verb: 'create' }] : [base]);
    if (!streaming) throw new ApiError(400, 'BadRequest', 'upgrade is only supported for pods/exec, pods/attach and pods/portforward');
    const pod = ctx.store.get('pods', ri.namespace, ri.name);
    if (!pod) throw notFound({ group: '', plural: 'pods' }, ri.name);
    if (ri.subresource !== 'exec' || !exec) throw new ApiError(400, 'BadRequest', `${ri.subresource} streaming is not available in this sandbox yet`);
    exec.handle(req, socket, head, pod, url.searchParams);
  } catch (e) {
    reject(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e)));
  }
}
