/**
 * OpenAPI documents for the kinds a sandbox serves, generated from its kinds registry: /openapi/v2
 * (Swagger 2.0, JSON), the /openapi/v3 index and one OpenAPI 3.0 document per group-version, in the
 * shapes kube-apiserver publishes (k8s.io/kube-openapi; kubectl reads them in
 * k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go and k8s.io/kubectl/pkg/cmd/apply/patcher.go).
 *
 * What clients use them for, and so what is here: every operation carries its
 * `x-kubernetes-group-version-kind` and `x-kubernetes-action`; PATCH lists the patch types the sandbox
 * accepts and the `fieldValidation` parameter, so kubectl validates on the server's side instead of
 * downloading schemas (`kubectl apply -f` without `--validate=false`). The schemas are the kinds'
 * envelopes (apiVersion, kind, ObjectMeta; lists with ListMeta) with every other field preserved
 * unknown: the sandbox knows no field-level schema, and says so instead of inventing one. Strategic
 * merge patch is accepted for built-in kinds but not advertised: a client that built its patch from
 * these schemas would find no patch directives in them; kubectl then uses its compiled-in types.
 */
import { createHash } from 'node:crypto';
import type { KindRegistry, ResourceDef } from './kinds.js';

type Json = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string, v3: boolean): Json => ({ $ref: v3 ? `#/components/schemas/${name}` : `#/definitions/${name}` });

/** The definition names kube-apiserver uses: io.k8s.api.apps.v1.Deployment; a CRD's reversed group: io.fluxcd.toolkit.helm.v2.HelmRelease. */
function schemaName(r: ResourceDef, version: string, kind = r.kind): string {
  if (r.custom) return `${r.group.split('.').reverse().join('.')}.${version}.${kind}`;
  if (r.group === 'metrics.k8s.io') return `io.k8s.metrics.pkg.apis.metrics.${version}.${kind}`;
  return `io.k8s.api.${r.group === '' ? 'core' : (r.group.split('.')[0] ?? r.group)}.${version}.${kind}`;
}

/** operationId words: core, Apps, Networking (k8s.io groups lose the suffix), HelmToolkitFluxcdIo */
function groupWord(group: string): string {
  if (group === '') return 'Core';
  const words = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length).split('.') : group.split(/[.-]/);
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

const str = { type: 'string' };
const int = { type: 'integer' };
const preserve = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** ObjectMeta, ListMeta, OwnerReference, Status, Patch and DeleteOptions: what every document refers to */
function metaSchemas(v3: boolean): Record<string, Json> {
  const map = { type: 'object', additionalProperties: str };
  return {
    [`${META}.ObjectMeta`]: {
      description: 'ObjectMeta is metadata that all persisted resources must have.',
      type: 'object',
      properties: {
        name: str,
        generateName: str,
        namespace: str,
        uid: str,
        resourceVersion: str,
        generation: { ...int, format: 'int64' },
        creationTimestamp: { ...str, format: 'date-time' },
        deletionTimestamp: { ...str, format: 'date-time' },
        deletionGracePeriodSeconds: { ...int, format: 'int64' },
        labels: map,
        annotations: map,
        finalizers: { type: 'array', items: str, 'x-kubernetes-list-type': 'set' },
        ownerReferences: {
          type: 'array',
          items: ref(`${META}.OwnerReference`, v3),
          'x-kubernetes-patch-merge-key': 'uid',
          'x-kubernetes-patch-strategy': 'merge',
        },
        managedFields: { type: 'array', items: preserve },
      },
    },
    [`${META}.OwnerReference`]: {
      type: 'object',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      'x-kubernetes-map-type': 'atomic',
      properties: { apiVersion: str, kind: str, name: str, uid: str, controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' } },
    },
    [`${META}.ListMeta`]: {
      type: 'object',
      properties: { resourceVersion: str, continue: str, remainingItemCount: { ...int, format: 'int64' }, selfLink: str },
    },
    [`${META}.Status`]: {
      type: 'object',
      properties: {
        apiVersion: str,
        kind: str,
        metadata: ref(`${META}.ListMeta`, v3),
        status: str,
        message: str,
        reason: str,
        details: preserve,
        code: { ...int, format: 'int32' },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [`${META}.Patch`]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
    [`${META}.DeleteOptions`]: {
      type: 'object',
      properties: {
        apiVersion: str,
        kind: str,
        dryRun: { type: 'array', items: str },
        gracePeriodSeconds: { ...int, format: 'int64' },
        propagationPolicy: str,
        preconditions: preserve,
      },
    },
  };
}

/** a kind and its list, at one version */
function kindSchemas(r: ResourceDef, version: string, v3: boolean): Record<string, Json> {
  const gvk = (kind: string): Json[] => [{ group: r.group, kind, version }];
  const envelope = { apiVersion: str, kind: str };
  return {
    [schemaName(r, version)]: {
      description: `${r.kind} as the sandbox serves it: the fields beyond apiVersion, kind and metadata are not described.`,
      type: 'object',
      properties: { ...envelope, metadata: ref(`${META}.ObjectMeta`, v3) },
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-group-version-kind': gvk(r.kind),
    },
    [schemaName(r, version, r.listKind)]: {
      type: 'object',
      required: ['items'],
      properties: { ...envelope, metadata: ref(`${META}.ListMeta`, v3), items: { type: 'array', items: ref(schemaName(r, version), v3) } },
      'x-kubernetes-group-version-kind': gvk(r.listKind),
    },
  };
}

type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';
const ACTION_WORD: Record<Action, string> = {
  get: 'read',
  list: 'list',
  post: 'create',
  put: 'replace',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'deleteCollection',
};
const METHOD: Record<Action, string> = { get: 'get', list: 'get', post: 'post', put: 'put', patch: 'patch', delete: 'delete', deletecollection: 'delete' };
const QUERY: Record<string, Json> = {
  allowWatchBookmarks: { type: 'boolean' },
  continue: str,
  dryRun: str,
  fieldManager: str,
  fieldSelector: str,
  fieldValidation: str,
  force: { type: 'boolean' },
  gracePeriodSeconds: int,
  labelSelector: str,
  limit: int,
  pretty: str,
  propagationPolicy: str,
  resourceVersion: str,
  resourceVersionMatch: str,
  sendInitialEvents: { type: 'boolean' },
  timeoutSeconds: int,
  watch: { type: 'boolean' },
};
const QUERY_OF: Record<Action, string[]> = {
  get: [],
  list: [
    'allowWatchBookmarks',
    'continue',
    'fieldSelector',
    'labelSelector',
    'limit',
    'resourceVersion',
    'resourceVersionMatch',
    'sendInitialEvents',
    'timeoutSeconds',
    'watch',
  ],
  post: ['dryRun', 'fieldManager', 'fieldValidation'],
  put: ['dryRun', 'fieldManager', 'fieldValidation'],
  patch: ['dryRun', 'fieldManager', 'fieldValidation', 'force'],
  delete: ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'],
  deletecollection: [
    'continue',
    'dryRun',
    'fieldSelector',
    'gracePeriodSeconds',
    'labelSelector',
    'limit',
    'propagationPolicy',
    'resourceVersion',
    'timeoutSeconds',
  ],
};
const JSON_TYPES = ['application/json', 'application/yaml'];

/** the patch types the server accepts (server.ts patchType), strategic merge left out (see the header) */
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

function operation(r: ResourceDef, version: string, action: Action, scope: 'Namespaced' | 'ForAllNamespaces' | '', v3: boolean): Json {
  const body =
    action === 'post' || action === 'put'
      ? ref(schemaName(r, version), v3)
      : action === 'patch'
        ? ref(`${META}.Patch`, v3)
        : action === 'delete' || action === 'deletecollection'
          ? ref(`${META}.DeleteOptions`, v3)
          : undefined;
  const bodyTypes = action === 'patch' ? PATCH_TYPES : ['*/*'];
  const answer =
    action === 'delete' || action === 'deletecollection' ? ref(`${META}.Status`, v3) : ref(schemaName(r, version, action === 'list' ? r.listKind : r.kind), v3);
  const params = QUERY_OF[action].map((name) =>
    v3 ? { name, in: 'query', schema: QUERY[name], uniqueItems: true } : { name, in: 'query', ...QUERY[name], uniqueItems: true },
  );
  const codes = action === 'post' ? ['200', '201', '202'] : action === 'put' || action === 'patch' ? ['200', '201'] : ['200'];
  const responses: Json = Object.fromEntries(
    codes.map((c) => [
      c,
      v3 ? { description: 'OK', content: Object.fromEntries(JSON_TYPES.map((t) => [t, { schema: answer }])) } : { description: 'OK', schema: answer },
    ]),
  );
  responses['401'] = { description: 'Unauthorized' };
  const op: Json = {
    operationId: `${ACTION_WORD[action]}${groupWord(r.group)}${version.charAt(0).toUpperCase()}${version.slice(1)}${scope}${r.kind}`,
    tags: [`${r.group === '' ? 'core' : groupWord(r.group).charAt(0).toLowerCase() + groupWord(r.group).slice(1)}_${version}`],
    ...(params.length ? { parameters: params } : {}),
    responses,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: r.group, kind: r.kind, version },
  };
  if (body) {
    if (v3)
      op.requestBody = {
        content: Object.fromEntries(bodyTypes.map((t) => [t, { schema: body }])),
        required: action !== 'delete' && action !== 'deletecollection',
      };
    else {
      op.parameters = [{ name: 'body', in: 'body', required: action !== 'delete' && action !== 'deletecollection', schema: body }, ...params];
      op.consumes = bodyTypes;
    }
  }
  if (!v3) {
    op.produces = JSON_TYPES;
    op.schemes = ['https'];
  }
  return op;
}

const pathParam = (name: 'name' | 'namespace', v3: boolean): Json =>
  v3
    ? { name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }
    : { name, in: 'path', required: true, type: 'string', uniqueItems: true };

/** the collection and item paths of one resource at one version, with the operations its verbs allow */
function resourcePaths(r: ResourceDef, version: string, v3: boolean): Record<string, Json> {
  const prefix = r.group ? `/apis/${r.group}/${version}` : `/api/${version}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const can = (verb: string): boolean => r.verbs.includes(verb);
  /** [RBAC verb, action] pairs: the operations of those the resource allows, by HTTP method */
  const ops = (entries: [string, Action][], s: 'Namespaced' | 'ForAllNamespaces' | ''): Json =>
    Object.fromEntries(entries.filter(([verb]) => can(verb)).map(([, action]) => [METHOD[action], operation(r, version, action, s, v3)]));
  const nsParam = r.namespaced ? [pathParam('namespace', v3)] : [];
  const out: Record<string, Json> = {};
  const collection = ops(
    [
      ['list', 'list'],
      ['create', 'post'],
      ['deletecollection', 'deletecollection'],
    ],
    scope,
  );
  if (Object.keys(collection).length) out[base] = { ...collection, parameters: nsParam };
  const item = ops(
    [
      ['get', 'get'],
      ['update', 'put'],
      ['patch', 'patch'],
      ['delete', 'delete'],
    ],
    scope,
  );
  if (Object.keys(item).length) out[`${base}/{name}`] = { ...item, parameters: [pathParam('name', v3), ...nsParam] };
  if (r.namespaced && can('list')) out[`${prefix}/${r.plural}`] = { get: operation(r, version, 'list', 'ForAllNamespaces', v3) };
  return out;
}

function served(kinds: KindRegistry, group?: string, version?: string): [ResourceDef, string][] {
  return kinds.resources.flatMap((r) =>
    r.versions.filter((v) => (group === undefined || r.group === group) && (version === undefined || v === version)).map((v): [ResourceDef, string] => [r, v]),
  );
}

function info(gitVersion: string): Json {
  return { title: 'Kubernetes', version: gitVersion };
}

/** GET /openapi/v2 (application/json): every served kind in one Swagger 2.0 document */
export function openapiV2(kinds: KindRegistry, gitVersion: string): Json {
  const pairs = served(kinds);
  return {
    swagger: '2.0',
    info: info(gitVersion),
    paths: Object.assign({}, ...pairs.map(([r, v]) => resourcePaths(r, v, false))) as Json,
    definitions: Object.assign(metaSchemas(false), ...pairs.map(([r, v]) => kindSchemas(r, v, false))) as Json,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

/** GET /openapi/v3/api/v1, /openapi/v3/apis/GROUP/VERSION: one group-version as OpenAPI 3.0, or undefined when not served */
export function openapiV3(kinds: KindRegistry, gitVersion: string, group: string, version: string): Json | undefined {
  const pairs = served(kinds, group, version);
  if (pairs.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: info(gitVersion),
    paths: Object.assign({}, ...pairs.map(([r, v]) => resourcePaths(r, v, true))) as Json,
    components: {
      schemas: Object.assign(metaSchemas(true), ...pairs.map(([r, v]) => kindSchemas(r, v, true))) as Json,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

/** The group-version a /openapi/v3/... path names: `api/v1` is the core group. */
export function groupVersionOf(path: string): { group: string; version: string } | undefined {
  const core = /^\/openapi\/v3\/api\/([^/]+)$/.exec(path);
  if (core) return { group: '', version: core[1] as string };
  const named = /^\/openapi\/v3\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  return named ? { group: named[1] as string, version: named[2] as string } : undefined;
}

/** GET /openapi/v3: each group-version's document, its URL carrying the hash of its content (as the API server's does) */
export function openapiV3Index(kinds: KindRegistry, gitVersion: string): Json {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions } of kinds.groups()) {
    for (const version of versions) {
      const key = group ? `apis/${group}/${version}` : `api/${version}`;
      const hash = createHash('sha512')
        .update(JSON.stringify(openapiV3(kinds, gitVersion, group, version)))
        .digest('hex')
        .toUpperCase();
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
  }
  return { paths };
}
