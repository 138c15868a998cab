/**
 * Authorization like kube-apiserver's: the request is turned into RequestInfo attributes
 * (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go), matched against RBAC PolicyRules, and a
 * denial is the apiserver's Forbidden Status with its exact wording.
 *
 * One request may need several checks: the WebSocket exec upgrade (a GET) needs both `get` and
 * `create` on pods/exec, so `authorize` takes a list of attribute sets and all must pass.
 */
import { ApiError, qualified } from './errors.js';
import { queryBool } from './query.js';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  /** a Role's rule (bound by a RoleBinding) applies only in these namespaces; absent = a ClusterRole's */
  namespaces?: string[];
}

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix?: 'api' | 'apis';
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  parts: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** requestinfo.go NewRequestInfo, for the paths this server answers */
export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  let parts = path
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return info;
  info.apiPrefix = prefix;
  parts = parts.slice(1);
  if (prefix === 'apis') {
    if (parts.length < 1) return info;
    info.apiGroup = parts.shift() as string;
  }
  if (parts.length < 1) return info;
  info.apiVersion = parts.shift() as string;
  if (parts.length < 1) return info; // discovery of a group version
  info.isResourceRequest = true;
  let watchPath = false;
  if (parts[0] === 'watch') {
    watchPath = true;
    parts = parts.slice(1);
  }
  switch (method) {
    case 'POST':
      info.verb = 'create';
      break;
    case 'GET':
    case 'HEAD':
      info.verb = 'get';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = 'delete';
      break;
    default:
      info.verb = '';
  }
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1] as string;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] as string)) parts = parts.slice(2);
  }
  info.parts = parts;
  if (parts.length >= 3) info.subresource = parts[2] as string;
  if (parts.length >= 2) info.name = parts[1] as string;
  if (parts.length >= 1) info.resource = parts[0] as string;
  if (info.name === '' && info.verb === 'get') {
    info.verb = watchPath || queryBool(query, 'watch') ? 'watch' : 'list';
  } else if (watchPath && info.verb === 'get') info.verb = 'watch';
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  if (!info.name && (info.verb === 'list' || info.verb === 'watch')) {
    const fs = query.get('fieldSelector') ?? '';
    const m = /(?:^|,)metadata\.name==?([^,]+)/.exec(fs);
    if (m) info.name = m[1] as string;
  }
  return info;
}

export interface Attributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  isResourceRequest: boolean;
  path: string;
}

export function attributesOf(ri: RequestInfo): Attributes {
  return {
    verb: ri.verb,
    apiGroup: ri.apiGroup,
    resource: ri.resource,
    subresource: ri.subresource,
    namespace: ri.namespace,
    name: ri.name,
    isResourceRequest: ri.isResourceRequest,
    path: ri.path,
  };
}

const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.isResourceRequest) return nonResourceMatches(rule, a.path);
  if (!has(rule.apiGroups, a.apiGroup)) return false;
  if (!resourceMatches(rule, a.resource, a.subresource)) return false;
  if (rule.namespaces && !rule.namespaces.includes(a.namespace)) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) return a.name !== '' && rule.resourceNames.includes(a.name);
  return true;
}

/** handlers/responsewriters/errors.go forbiddenMessage + apierrors.NewForbidden */
export function forbidden(user: string, a: Attributes): ApiError {
  if (!a.isResourceRequest) {
    return new ApiError(403, 'Forbidden', `forbidden: User "${user}" cannot ${a.verb} path "${a.path}"`, {});
  }
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const why = a.namespace
    ? `User "${user}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" in the namespace "${a.namespace}"`
    : `User "${user}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" at the cluster scope`;
  const gr = qualified(a.apiGroup, a.resource);
  const msg = a.name ? `${gr} "${a.name}" is forbidden: ${why}` : `${gr} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', msg, { name: a.name, group: a.apiGroup, kind: a.resource });
}

/** paths every authenticated user may read (the system:discovery and system:public-info-viewer ClusterRoles) */
const DISCOVERY_PATHS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/healthz/*',
  '/livez',
  '/livez/*',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/readyz/*',
  '/version',
  '/version/',
];

/** what every authenticated user may do: discovery, and ask who they are and what they may do (system:basic-user) */
export const EVERYONE: readonly PolicyRule[] = [
  { verbs: ['get'], nonResourceURLs: DISCOVERY_PATHS },
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
];

export class Authorizer {
  /** `rules` undefined: everything is allowed (an admin); otherwise exactly these rules and EVERYONE's */
  constructor(
    readonly rules: PolicyRule[] | undefined,
    readonly user: string,
  ) {}

  allows(a: Attributes): boolean {
    return !this.rules || [...EVERYONE, ...this.rules].some((r) => ruleAllows(r, a));
  }

  /** throws the Forbidden ApiError unless every attribute set is allowed */
  authorize(checks: Attributes[]): void {
    for (const a of checks) if (!this.allows(a)) throw forbidden(this.user, a);
  }
}
