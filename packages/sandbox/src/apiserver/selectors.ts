/** labelSelector and fieldSelector parsing and matching, following k8s.io/apimachinery's grammar. */
import { badRequest } from './errors.js';
import { storageKey, type ResourceDef } from './kinds.js';
import { getPath, type KubeObject } from './types.js';

type LabelOp = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';
export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** split on commas that are not inside parentheses */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseLabelSelector(sel: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  if (sel.trim() === '') return reqs;
  for (const raw of splitTop(sel)) {
    const part = raw.trim();
    let m: RegExpExecArray | null;
    let req: LabelRequirement;
    if ((m = /^!\s*(\S+)$/.exec(part))) req = { key: m[1] as string, op: '!', values: [] };
    else if ((m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      req = { key: m[1] as string, op: m[2] as 'in' | 'notin', values: (m[3] as string).split(',').map((v) => v.trim()) };
    } else if ((m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part))) {
      const op = m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : '=';
      req = { key: m[1] as string, op, values: [m[3] as string] };
    } else if ((m = /^([^=!<>\s(),]+)$/.exec(part))) req = { key: m[1] as string, op: 'exists', values: [] };
    else throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    if (!KEY.test(req.key)) {
      throw badRequest(
        `unable to parse requirement: values[0][${req.key}]: Invalid value: "${req.key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      );
    }
    for (const v of req.values) {
      if (req.op === 'gt' || req.op === 'lt' ? !/^-?\d+$/.test(v) : !VALUE.test(v)) {
        throw badRequest(
          `unable to parse requirement: values[0][${req.key}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        );
      }
    }
    reqs.push(req);
  }
  return reqs;
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v as string);
      case 'notin':
        return !has || !r.values.includes(v as string);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
        return has && Number(v) > Number(r.values[0]);
      case 'lt':
        return has && Number(v) < Number(r.values[0]);
    }
    return false;
  });
}

/** "app in (a,b),tier" from a LabelSelector object, for printers and controllers */
export function selectorMatches(selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector?.matchLabels) return false;
  return Object.entries(selector.matchLabels).every(([k, v]) => labels?.[k] === v);
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

function unescapeField(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(sel: string): FieldRequirement[] {
  if (sel.trim() === '') return [];
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < sel.length; i++) {
    const ch = sel[i] as string;
    if (ch === '\\') {
      cur += ch + (sel[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === ',') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => {
    const m = /^((?:\\.|[^=!\\])+?)(==|=|!=)(.*)$/.exec(p);
    if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${p}'`);
    return { field: unescapeField((m[1] as string).trim()), op: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3] as string) };
  });
}

const COMMON = ['metadata.name', 'metadata.namespace'];
const FIELDS: Record<string, string[]> = {
  '/pods': [
    ...COMMON,
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  '/events': [
    ...COMMON,
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  '/nodes': [...COMMON, 'spec.unschedulable'],
  '/namespaces': [...COMMON, 'status.phase'],
  '/secrets': [...COMMON, 'type'],
  '/services': [...COMMON, 'spec.clusterIP', 'spec.type'],
  '/replicationcontrollers': [...COMMON, 'status.replicas'],
  'apps/replicasets': [...COMMON, 'status.replicas'],
  'batch/jobs': [...COMMON, 'status.successful'],
};

function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source') return String(getPath(obj, 'source.component') ?? '');
  if (field === 'status.podIPs') {
    const ips = getPath(obj, 'status.podIPs');
    return Array.isArray(ips) ? String((ips[0] as { ip?: string } | undefined)?.ip ?? '') : '';
  }
  const v = getPath(obj, field);
  if (v === undefined || v === null) return field === 'spec.unschedulable' || field === 'spec.hostNetwork' ? 'false' : '';
  return String(v);
}

/** validates the field labels against what the resource supports (400 otherwise, as the apiserver) */
export function checkFields(r: ResourceDef, reqs: FieldRequirement[]): void {
  const allowed = FIELDS[storageKey(r)] ?? COMMON;
  for (const q of reqs) {
    if (!allowed.includes(q.field)) {
      throw badRequest(`field label not supported: ${q.field}`);
    }
  }
}

export function matchFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((q) => (fieldValue(obj, q.field) === q.value) === (q.op === '='));
}
