/**
 * The object store: every object the sandbox serves, keyed by group+plural, namespace and name,
 * with one cluster-wide resourceVersion counter as etcd gives.
 *
 * Objects inside are never mutated in place (every write stores a fresh copy), so a list snapshot
 * is just an array of references: that is what makes `limit`/`continue` paging consistent.
 *
 * Controller hook: `store.onChange(listener)` calls the listener synchronously after every write
 * with the change (type, resource, object, previous object). Simulated controllers (see
 * controllers.ts) subscribe there and schedule their follow-up writes with timers, as a real
 * controller reacts to a watch event.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, notFound } from './errors.js';
import { apiVersionOf, storageKey, type KindRegistry, type ResourceDef } from './kinds.js';
import { clone, type KubeObject } from './types.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface Change {
  type: ChangeType;
  resource: ResourceDef;
  /** the stored object (for DELETED: its last state); treat as read-only */
  object: KubeObject;
  old?: KubeObject;
  rv: number;
}
export type ChangeListener = (change: Change) => void;

interface Bucket {
  objects: Map<string, KubeObject>;
  sorted: string[] | null;
}

const HISTORY = 2000;
const SNAPSHOTS = 64;

/** RFC3339 with second precision, as Kubernetes metav1.Time serializes. */
export function rfc3339(d: Date): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ for years 0–9999
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}

export class ObjectStore {
  readonly kinds: KindRegistry;
  readonly now: () => Date;
  private readonly data = new Map<string, Bucket>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly history: Change[] = [];
  private readonly snapshots = new Map<string, KubeObject[]>();
  private revision = 1000;
  private compacted = 0;

  constructor(kinds: KindRegistry, now: () => Date) {
    this.kinds = kinds;
    this.now = now;
  }

  /** the current cluster-wide resourceVersion */
  get resourceVersion(): string {
    return String(this.revision);
  }
  get revisionNumber(): number {
    return this.revision;
  }

  resource(res: string | ResourceDef): ResourceDef {
    return typeof res === 'string' ? this.kinds.resolve(res) : res;
  }

  /** a copy of one object, or undefined */
  get(res: string | ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const r = this.resource(res);
    const o = this.bucket(r).objects.get(objKey(r, namespace, name));
    return o ? clone(o) : undefined;
  }

  /** copies of the objects of a resource, in key order (namespace, then name), optionally in one namespace */
  list(res: string | ResourceDef, namespace?: string): KubeObject[] {
    return this.scan(this.resource(res), namespace).map(clone);
  }

  /** the stored objects themselves (read-only), in key order */
  scan(r: ResourceDef, namespace?: string): readonly KubeObject[] {
    const b = this.bucket(r);
    if (!b.sorted) b.sorted = [...b.objects.keys()].sort();
    const out: KubeObject[] = [];
    for (const k of b.sorted) {
      const o = b.objects.get(k);
      if (o && (namespace === undefined || o.metadata.namespace === namespace)) out.push(o);
    }
    return out;
  }

  /** A list snapshot for paging: the same array for the same resource and revision. */
  snapshot(r: ResourceDef, rv?: number): { rv: number; items: readonly KubeObject[] } | undefined {
    const at = rv ?? this.revision;
    const key = `${storageKey(r)}@${at}`;
    if (at < this.compacted) return undefined;
    let items = this.snapshots.get(key);
    if (!items) {
      if (rv !== undefined && rv !== this.revision) return undefined;
      items = [...this.scan(r)];
      this.snapshots.set(key, items);
      if (this.snapshots.size > SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value as string);
    }
    return { rv: at, items };
  }

  /** Compact history up to now, as etcd does: continue tokens and watches from older revisions then get 410 Expired. */
  compact(): void {
    this.compacted = this.revision;
    this.snapshots.clear();
    this.history.length = 0;
  }

  /**
   * Empties the store without a change event, as a restore of etcd would: the revision goes on from
   * where it was (resourceVersions never go back) and older revisions are compacted away, so a client
   * still holding one re-lists.
   */
  clear(): void {
    this.data.clear();
    this.revision++;
    this.compact();
  }

  /**
   * Creates or replaces objects made for the store alone (a scenario's expansion): kept as they are,
   * not copied in and out as put() copies them (the copies were most of a sandbox's start). Only the
   * metadata, which the store fills in, gets an object of its own.
   */
  adopt(objects: KubeObject[]): void {
    for (const made of objects) this.upsert({ ...made, metadata: { ...made.metadata } }, false);
  }

  /** Create or replace an object (the resource is found from apiVersion + kind). Fills uid, timestamps, resourceVersion. */
  put(obj: KubeObject): KubeObject {
    return clone(this.upsert(obj, true));
  }

  /** Writes `obj` over whatever has its name (`copy`: store a copy of it, not it). */
  private upsert(obj: KubeObject, copy: boolean): KubeObject {
    const r = this.resourceOf(obj);
    return this.write(r, obj, this.bucket(r).objects.get(objKey(r, obj.metadata.namespace, obj.metadata.name ?? '')), copy);
  }

  /** Create; 409 AlreadyExists when the name is taken. Returns a copy of the stored object. */
  create(res: string | ResourceDef, obj: KubeObject): KubeObject {
    const r = this.resource(res);
    const name = obj.metadata.name ?? '';
    if (this.bucket(r).objects.has(objKey(r, obj.metadata.namespace, name))) throw alreadyExists(r, name);
    return clone(this.write(r, obj, undefined));
  }

  /** Replace an existing object; 404 when it is gone. */
  update(res: string | ResourceDef, obj: KubeObject): KubeObject {
    const r = this.resource(res);
    const name = obj.metadata.name ?? '';
    const existing = this.bucket(r).objects.get(objKey(r, obj.metadata.namespace, name));
    if (!existing) throw notFound(r, name);
    return clone(this.write(r, obj, existing));
  }

  delete(res: string | ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const r = this.resource(res);
    const b = this.bucket(r);
    const key = objKey(r, namespace, name);
    const existing = b.objects.get(key);
    if (!existing) throw notFound(r, name);
    b.objects.delete(key);
    b.sorted = null;
    this.revision++;
    const last = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.revision) } };
    this.emit({ type: 'DELETED', resource: r, object: last, rv: this.revision });
    return clone(last);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** changes after `rv` still in the history, or undefined when that revision is too old */
  changesSince(rv: number): Change[] | undefined {
    if (rv < this.compacted) return undefined;
    if (rv >= this.revision) return [];
    const first = this.history[0];
    if (!first || first.rv > rv + 1) return undefined;
    return this.history.filter((c) => c.rv > rv);
  }

  get oldestRevision(): number {
    return this.history[0]?.rv ?? this.revision;
  }

  private resourceOf(obj: KubeObject): ResourceDef {
    const r = obj.apiVersion && obj.kind ? this.kinds.byKind(obj.apiVersion, obj.kind) : undefined;
    if (!r) throw new Error(`sandbox: no served resource for ${obj.apiVersion ?? '?'} ${obj.kind ?? '?'}`);
    return r;
  }

  private write(r: ResourceDef, input: KubeObject, existing: KubeObject | undefined, copy = true): KubeObject {
    const obj = copy ? clone(input) : input;
    const now = rfc3339(this.now());
    obj.apiVersion = apiVersionOf(r.group, r.versions[0] ?? 'v1');
    obj.kind = r.kind;
    const m = obj.metadata;
    if (!r.namespaced) delete m.namespace;
    const synthetic = r.group === 'metrics.k8s.io'; // metrics-server objects carry no uid or generation
    if (!synthetic) m.uid = existing?.metadata.uid ?? m.uid ?? randomUUID();
    m.creationTimestamp = existing?.metadata.creationTimestamp ?? m.creationTimestamp ?? now;
    if (!synthetic && hasGeneration(r) && m.generation === undefined) m.generation = existing?.metadata.generation ?? 1;
    this.revision++;
    m.resourceVersion = String(this.revision);
    const b = this.bucket(r);
    const key = objKey(r, m.namespace, m.name ?? '');
    if (!b.objects.has(key)) b.sorted = null;
    b.objects.set(key, obj);
    this.emit(
      existing
        ? { type: 'MODIFIED', resource: r, object: obj, old: existing, rv: this.revision }
        : { type: 'ADDED', resource: r, object: obj, rv: this.revision },
    );
    return obj;
  }

  private emit(change: Change): void {
    this.history.push(change);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of [...this.listeners]) l(change);
  }

  private bucket(r: ResourceDef): Bucket {
    const k = storageKey(r);
    let b = this.data.get(k);
    if (!b) {
      b = { objects: new Map(), sorted: null };
      this.data.set(k, b);
    }
    return b;
  }
}

function objKey(r: ResourceDef, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${namespace ?? ''}/${name}` : name;
}

/** the continue-token key of an object, as etcd's key relative to the resource prefix */
export function keyOf(r: ResourceDef, o: KubeObject): string {
  return objKey(r, o.metadata.namespace, o.metadata.name ?? '');
}

const NO_GENERATION = new Set([
  '/pods',
  '/nodes',
  '/namespaces',
  '/events',
  '/configmaps',
  '/secrets',
  '/services',
  '/endpoints',
  '/serviceaccounts',
  '/persistentvolumeclaims',
  '/persistentvolumes',
  'metrics.k8s.io/nodes',
  'metrics.k8s.io/pods',
]);
function hasGeneration(r: ResourceDef): boolean {
  return !NO_GENERATION.has(storageKey(r));
}
