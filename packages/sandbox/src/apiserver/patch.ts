/**
 * The three patch types the apiserver accepts besides apply:
 * JSON merge patch (RFC 7386), strategic merge patch (lists merged by their patchMergeKey), and
 * JSON patch (RFC 6902).
 */
import { ApiError, badRequest } from './errors.js';
import { clone, isRecord } from './types.js';

export type PatchType = 'merge' | 'strategic' | 'json';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * patchMergeKey of the list fields of the built-in types (by field name; `ports` is keyed by
 * containerPort in containers and by port in Services). Lists not named here are replaced whole.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  addresses: 'type',
};
/** lists of primitives with patchStrategy merge: union */
const PRIMITIVE_MERGE = new Set(['finalizers']);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') {
    const first = items.find(isRecord);
    return first && 'containerPort' in first ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // $retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/...
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (Array.isArray(v)) {
      const key = mergeKeyFor(k, v);
      if (key && Array.isArray(cur)) out[k] = mergeList(cur, v, key);
      else if (PRIMITIVE_MERGE.has(k) && Array.isArray(cur)) out[k] = [...cur, ...v.filter((x) => !cur.includes(x))];
      else out[k] = stripDirectives(v);
    } else if (isRecord(v)) {
      const merged = strategicMergePatch(cur, v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

function mergeList(current: unknown[], patch: unknown[], key: string): unknown[] {
  const out = [...current];
  for (const item of patch) {
    if (!isRecord(item) || !(key in item)) {
      out.push(stripDirectives(item));
      continue;
    }
    const idx = out.findIndex((x) => isRecord(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$') && x !== null) out[k] = stripDirectives(x);
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** 422 with the evanphx/json-patch wording, as the apiserver passes it through */
const unprocessable = (message: string): ApiError => new ApiError(422, 'Invalid', message);

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw unprocessable(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function locate(doc: unknown, parts: string[], op: string, path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isRecord(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined || cur === null) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return { parent: cur, key: parts[parts.length - 1] as string };
}

function getAt(doc: unknown, path: string, op: string): unknown {
  const parts = parsePointer(path);
  if (parts.length === 0) return doc;
  const { parent, key } = locate(doc, parts, op, path);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (v === undefined) throw unprocessable(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  return v;
}

function removeAt(doc: unknown, path: string, op: string): unknown {
  const parts = parsePointer(path);
  const { parent, key } = locate(doc, parts, op, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw unprocessable(`Unable to remove nonexistent key: ${key}: missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw unprocessable(`Unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown, op: string, replace: boolean): unknown {
  const parts = parsePointer(path);
  if (parts.length === 0) return clone(value);
  const { parent, key } = locate(doc, parts, op, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) {
      throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
    if (replace) parent[i] = clone(value);
    else parent.splice(i, 0, clone(value));
  } else {
    if (replace && !(key in parent)) throw unprocessable(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[key] = clone(value);
  }
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isRecord(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('invalid JSON patch operation');
    const o = raw as unknown as JsonPatchOp;
    switch (o.op) {
      case 'add':
        doc = addAt(doc, o.path, o.value, 'add', false);
        break;
      case 'replace':
        doc = addAt(doc, o.path, o.value, 'replace', true);
        break;
      case 'remove':
        removeAt(doc, o.path, 'remove');
        break;
      case 'test': {
        const cur = getAt(doc, o.path, 'test');
        if (JSON.stringify(cur) !== JSON.stringify(o.value)) throw unprocessable(`testing value ${o.path} failed: test failed`);
        break;
      }
      case 'move': {
        const v = removeAt(doc, o.from ?? '', 'move');
        doc = addAt(doc, o.path, v, 'move', false);
        break;
      }
      case 'copy':
        doc = addAt(doc, o.path, getAt(doc, o.from ?? '', 'copy'), 'copy', false);
        break;
      default:
        throw badRequest(`Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  if (type === 'json') return jsonPatch(target, patch);
  if (!isRecord(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  return type === 'merge' ? mergePatch(target, patch) : strategicMergePatch(target, patch);
}
