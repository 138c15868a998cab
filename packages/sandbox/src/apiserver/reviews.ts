/**
 * The review kinds a user asks the API server about themself, answered from the sandbox's own
 * authentication and RBAC and never stored: SelfSubjectAccessReview (`kubectl auth can-i`),
 * SelfSubjectRulesReview (`kubectl auth can-i --list`) and SelfSubjectReview (`kubectl auth whoami`).
 * Shapes: k8s.io/api authorization/v1 and authentication/v1 types.go; validation as
 * pkg/apis/authorization/validation ValidateSelfSubjectAccessReviewSpec.
 */
import { z } from 'zod';
import { badRequest, invalid } from './errors.js';
import type { ResourceDef } from './kinds.js';
import { EVERYONE, type Authorizer, type PolicyRule } from './rbac.js';
import { isRecord, type KubeObject } from './types.js';

/** who a request authenticated as (authentication/v1 UserInfo) */
export interface UserInfo {
  username: string;
  groups: string[];
}

const optional = z.string().optional();
const resourceAttributes = z.object({
  namespace: optional,
  verb: optional,
  group: optional,
  version: optional,
  resource: optional,
  subresource: optional,
  name: optional,
});
const nonResourceAttributes = z.object({ path: optional, verb: optional });
const accessReview = z.object({
  spec: z.object({ resourceAttributes: resourceAttributes.optional(), nonResourceAttributes: nonResourceAttributes.optional() }).default({}),
});
const rulesReview = z.object({ spec: z.object({ namespace: optional }).default({}) });

const ALL = ['*'];

export const isReview = (r: ResourceDef): boolean => REVIEWS.has(`${r.group}/${r.plural}`);

const REVIEWS = new Map<string, (auth: Authorizer, user: UserInfo, body: unknown, r: ResourceDef) => KubeObject>([
  ['authorization.k8s.io/selfsubjectaccessreviews', selfSubjectAccessReview],
  ['authorization.k8s.io/selfsubjectrulesreviews', selfSubjectRulesReview],
  ['authentication.k8s.io/selfsubjectreviews', (_auth, user) => ({ metadata: {}, status: { userInfo: { username: user.username, groups: user.groups } } })],
]);

/** The answer to a POST of a review kind: the object sent, with its status filled in. */
export function answerReview(auth: Authorizer, user: UserInfo, r: ResourceDef, body: unknown): KubeObject {
  const answer = REVIEWS.get(`${r.group}/${r.plural}`);
  if (!answer) throw badRequest(`${r.plural}.${r.group} is not a review`);
  return answer(auth, user, body, r);
}

function parse<T>(schema: z.ZodType<T>, body: unknown, r: ResourceDef): T {
  const parsed = schema.safeParse(isRecord(body) ? body : {});
  if (!parsed.success)
    throw badRequest(
      `the object provided is unrecognized (must be of type ${r.kind}): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

function selfSubjectAccessReview(auth: Authorizer, _user: UserInfo, body: unknown, r: ResourceDef): KubeObject {
  const { spec } = parse(accessReview, body, r);
  const { resourceAttributes: ra, nonResourceAttributes: nra } = spec;
  if (ra && nra)
    throw invalid(r, '', [
      {
        field: 'spec.nonResourceAttributes',
        type: 'Invalid value',
        detail: `${JSON.stringify(nra)}: cannot be specified in combination with resourceAttributes`,
      },
    ]);
  if (!ra && !nra)
    throw invalid(r, '', [
      {
        field: 'spec.resourceAttributes',
        type: 'Invalid value',
        detail: '"null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      },
    ]);
  const allowed = ra
    ? auth.allows({
        isResourceRequest: true,
        path: '',
        verb: ra.verb ?? '',
        apiGroup: ra.group ?? '',
        resource: ra.resource ?? '',
        subresource: ra.subresource ?? '',
        namespace: ra.namespace ?? '',
        name: ra.name ?? '',
      })
    : auth.allows({
        isResourceRequest: false,
        path: nra?.path ?? '',
        verb: nra?.verb ?? '',
        apiGroup: '',
        resource: '',
        subresource: '',
        namespace: '',
        name: '',
      });
  return { metadata: {}, spec, status: { allowed } };
}

/** The rules that apply in the namespace asked about, as the API server lists them (resource rules, then non-resource rules). */
function selfSubjectRulesReview(auth: Authorizer, _user: UserInfo, body: unknown, r: ResourceDef): KubeObject {
  const { spec } = parse(rulesReview, body, r);
  const rules: readonly PolicyRule[] = auth.rules
    ? [...EVERYONE, ...auth.rules.filter((p) => !p.namespaces || p.namespaces.includes(spec.namespace ?? ''))]
    : [
        { verbs: ALL, apiGroups: ALL, resources: ALL },
        { verbs: ALL, nonResourceURLs: ALL },
      ];
  return {
    metadata: {},
    spec,
    status: {
      resourceRules: rules
        .filter((p) => p.resources)
        .map((p) => ({
          verbs: p.verbs,
          apiGroups: p.apiGroups ?? [],
          resources: p.resources ?? [],
          ...(p.resourceNames?.length ? { resourceNames: p.resourceNames } : {}),
        })),
      nonResourceRules: rules.filter((p) => p.nonResourceURLs).map((p) => ({ verbs: p.verbs, nonResourceURLs: p.nonResourceURLs ?? [] })),
      incomplete: false,
    },
  };
}

/** What a token or client certificate says about its user: a service account's groups follow from its name. */
export function userInfo(username: string, certificateGroups?: string[]): UserInfo {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(username);
  const groups = certificateGroups ?? (sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1] ?? ''}`] : []);
  return { username, groups: [...groups, 'system:authenticated'] };
}
