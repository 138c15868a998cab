/** Continue tokens in the apiserver's format: base64(JSON {v, rv, start}) with start = the last key + "\u0000". */
import { badRequest } from './errors.js';

export interface ContinueToken {
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64');
}

export function decodeContinue(token: string): ContinueToken {
  const invalid = (why: string): never => {
    throw badRequest(`invalid continue token: continue key is not valid: ${why}`);
  };
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(token)) invalid('illegal base64 data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof parsed !== 'object' || parsed === null) return invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p.v !== 'meta.k8s.io/v1') return invalid('server does not recognize this encoded version');
  if (typeof p.rv !== 'number' || typeof p.start !== 'string' || p.start === '')
    return invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (p.start.includes('..') || p.start.startsWith('/')) return invalid('path traversal attempt detected');
  return { rv: p.rv, start: p.start.endsWith('\u0000') ? p.start.slice(0, -1) : p.start };
}
