/** API errors shaped as the kube-apiserver's metav1.Status. */
import type { ResourceDef } from './kinds.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, string>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  readonly status: Status;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = compact(details);
  }
  get code(): number {
    return this.status.code;
  }
}

function compact(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  for (const [k, v] of Object.entries(d) as [keyof StatusDetails, StatusDetails[keyof StatusDetails]][]) {
    if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** `deployments.apps` for grouped resources, `pods` for core: the apiserver's GroupResource.String(). */
export function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(res: Pick<ResourceDef, 'group' | 'plural'>, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(res.group, res.plural)} "${name}" not found`, { name, group: res.group, kind: res.plural });
}

export function alreadyExists(res: Pick<ResourceDef, 'group' | 'plural'>, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(res.group, res.plural)} "${name}" already exists`, { name, group: res.group, kind: res.plural });
}

export function conflict(res: Pick<ResourceDef, 'group' | 'plural'>, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(res.group, res.plural)} "${name}": ${why}`, {
    name,
    group: res.group,
    kind: res.plural,
  });
}

/** 422 as StatusError NewInvalid: `Kind.group "name" is invalid: field: Reason: detail`. */
const CAUSE_REASON = {
  'Required value': 'FieldValueRequired',
  'Invalid value': 'FieldValueInvalid',
  'Unsupported value': 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
} as const;
export type CauseType = keyof typeof CAUSE_REASON;

export function invalid(res: Pick<ResourceDef, 'group' | 'kind'>, name: string, causes: { field: string; type: CauseType; detail: string }[]): ApiError {
  const kind = res.group ? `${res.kind}.${res.group}` : res.kind;
  const parts = causes.map((c) => `${c.field}: ${c.type}: ${c.detail}`);
  const msg = `${kind} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', msg, {
    name,
    group: res.group,
    kind: res.kind,
    causes: causes.map((c) => ({ reason: CAUSE_REASON[c.type], message: `${c.type}: ${c.detail}`, field: c.field })),
  });
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
export const methodNotAllowed = (message: string): ApiError => new ApiError(405, 'MethodNotAllowed', message);
export const pathNotFound = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');
export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);
export const unsupportedMediaType = (message: string): ApiError => new ApiError(415, 'UnsupportedMediaType', message);
