import type { ApiResource, KubeObject } from '../../core/ports/kube.js';
import { formatBytes } from '../shared/format.js';
import { holdsSecrets } from './resources.js';

/** kubectl's record of the object as last applied: a full copy of it, a Secret's data included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** A ConfigMap value is shown up to this many characters. */
export const CONFIGMAP_VALUE_MAX = 200;

export const SECRET_NOTE =
  "Secrets are read as metadata and printer columns only (type, number of keys): their data is never asked for, so the keys' names are not available either";
export const CONFIGMAP_NOTE = `ConfigMap values may be sensitive (a password put there by mistake): each is shown up to ${CONFIGMAP_VALUE_MAX} characters`;

/** What an answer shows of an object, and what it says about what it left out. */
export interface Presented {
  object: KubeObject;
  notes: string[];
}

/**
 * An object as answers show it: with its apiVersion and kind (list items come without), no
 * managedFields (kubectl hides them too) and no last-applied copy (for a Secret it repeats the data;
 * for the rest it repeats the object); a Secret-like kind as its metadata only; ConfigMap values cut
 * to CONFIGMAP_VALUE_MAX characters and binaryData as its size.
 */
export function presentObject(obj: KubeObject, resource: Pick<ApiResource, 'group' | 'version' | 'kind' | 'resource'>): Presented {
  const notes: string[] = [];
  const typeMeta = { apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version, kind: resource.kind };
  const { managedFields: _managed, ...metadata } = obj.metadata;
  const annotations = metadata.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: copy, ...rest } = annotations;
    metadata.annotations = {
      ...rest,
      [LAST_APPLIED]: `(not shown: kubectl's ${formatBytes(Buffer.byteLength(copy ?? ''))} copy of the object as last applied)`,
    };
  }
  if (holdsSecrets(resource)) {
    notes.push(SECRET_NOTE);
    return { object: { ...typeMeta, metadata }, notes };
  }
  const shown: KubeObject = { ...typeMeta, ...obj, metadata };
  if (resource.kind === 'ConfigMap' && resource.resource === 'configmaps') {
    const data = isRecord(obj.data) ? obj.data : undefined;
    if (data) {
      shown.data = Object.fromEntries(
        Object.entries(data).map(([key, value]) => {
          const text = String(value);
          return [key, text.length > CONFIGMAP_VALUE_MAX ? `${text.slice(0, CONFIGMAP_VALUE_MAX)}… (${text.length} characters)` : text];
        }),
      );
    }
    if (isRecord(obj.binaryData)) {
      shown.binaryData = Object.fromEntries(
        Object.entries(obj.binaryData).map(([key, value]) => [key, `(binary: ${formatBytes(Math.floor((String(value).length * 3) / 4))})`]),
      );
    }
    if (data || obj.binaryData) notes.push(CONFIGMAP_NOTE);
  }
  return { object: shown, notes };
}

/** The bytes of a value as JSON: what bounds an answer. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * An object cut to fit `maxBytes` of JSON: its largest top-level parts (spec, status, data) are
 * replaced, largest first (those named in `keepLast` after all others), by a line saying how much
 * is not shown, until it fits; then the same for metadata's annotations and labels. Identity,
 * kind, name and namespace always stay.
 */
export function fitObject(obj: KubeObject, maxBytes: number, keepLast: readonly string[] = []): { object: KubeObject; cut: boolean } {
  if (jsonBytes(obj) <= maxBytes) return { object: obj, cut: false };
  const out: Record<string, unknown> = { ...obj, metadata: { ...obj.metadata } };
  const meta = out.metadata as Record<string, unknown>;
  const omit = (holder: Record<string, unknown>, key: string) => {
    holder[key] = `(${formatBytes(jsonBytes(holder[key]))} not shown: over maxBytes)`;
  };
  const parts = Object.keys(out)
    .filter((k) => !['apiVersion', 'kind', 'metadata'].includes(k))
    .sort((a, b) => Number(keepLast.includes(a)) - Number(keepLast.includes(b)) || jsonBytes(out[b]) - jsonBytes(out[a]));
  for (const key of parts) {
    if (jsonBytes(out) <= maxBytes) break;
    omit(out, key);
  }
  for (const key of ['annotations', 'labels', 'ownerReferences', 'finalizers']) {
    if (jsonBytes(out) <= maxBytes) break;
    if (meta[key] !== undefined) omit(meta, key);
  }
  return { object: out as KubeObject, cut: true };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
