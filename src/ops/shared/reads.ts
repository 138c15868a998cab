import type { z } from 'zod';
import { NotFound, isHomelabError, type HomelabError } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import type { ListOptions, ObjectMeta, ResourceRef } from '../../core/ports/kube.js';
import { sortFindings, type Finding } from './findings.js';
import { MAX_LOOKED, type CheckReport, type ObjectRef } from './check.js';

/** "certificaterequests.cert-manager.io": a resource as RBAC and kubectl name it. */
export function resourceName(ref: Pick<ResourceRef, 'group' | 'resource'>): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

/**
 * What a status check reads, one kind at a time. A kind the cluster refuses (403), does not serve
 * (404) or fails to answer becomes a finding that names it and why, and the other kinds are still
 * read; a malformed object is a finding and the rest of its list is still read. When nothing at
 * all could be read (the cluster is unreachable, the credentials are refused) that is an error,
 * not a report: `finish` throws it. Every check reads through this, so none of them dies on one
 * list nor hides that it could not read it; and each says which objects it looked at (`report`).
 */
export class Reads {
  private readonly problems: Finding[] = [];
  private succeeded = 0;
  private firstError: HomelabError | undefined;
  private readonly looked: ObjectRef[] = [];
  private lookedTotal = 0;

  constructor(private readonly ctx: OpContext) {}

  /**
   * Lists one kind page by page, each object checked against `schema`. Returns false when the
   * list could not be read (whole or in part: objects of earlier pages were already given to `each`).
   * `impact` says what the answer lacks then, e.g. "last Job outcomes are not shown".
   */
  async list<S extends z.ZodType>(
    read: { ref: ResourceRef; kind: string; schema: S; options?: ListOptions; impact?: string },
    each: (item: z.output<S>) => void,
  ): Promise<boolean> {
    const done = await this.run(
      resourceName(read.ref),
      read.ref,
      async () => {
        for await (const page of this.ctx.kube.listPages(read.ref, read.options)) {
          for (const raw of page) {
            const parsed = read.schema.safeParse(raw);
            if (!parsed.success) {
              this.malformed(read.kind, raw, parsed.error);
              continue;
            }
            this.saw(read.kind, raw.metadata);
            each(parsed.data);
          }
        }
        return true;
      },
      read.impact,
      { counts: true, listing: true },
    );
    return done ?? false;
  }

  /**
   * One object by name, checked against `schema`: null when it does not exist, undefined when it
   * could not be read or is malformed (a finding says which). `impact` as for `list`.
   */
  async get<S extends z.ZodType>(read: {
    ref: ResourceRef;
    name: string;
    kind: string;
    schema: S;
    impact?: string;
    metadataOnly?: boolean;
  }): Promise<z.output<S> | null | undefined> {
    const found = await this.attempt(
      resourceName(read.ref),
      read.ref,
      async () => {
        try {
          return await this.ctx.kube.get(read.ref, read.name, read.metadataOnly ? { metadataOnly: true } : undefined);
        } catch (err) {
          if (err instanceof NotFound) return null;
          throw err;
        }
      },
      read.impact,
    );
    if (!found) return found;
    const parsed = read.schema.safeParse(found);
    if (!parsed.success) {
      this.malformed(read.kind, found, parsed.error);
      return undefined;
    }
    this.saw(read.kind, found.metadata);
    return parsed.data;
  }

  /**
   * Whether a group/version serves a resource, for kinds an installed release may lack (a
   * missing one is no problem then). undefined when discovery failed: a finding says so.
   */
  serves(group: string, version: string, resource: string, impact?: string): Promise<boolean | undefined> {
    return this.discover(`${group}/${version}`, { group, version, resource }, () => this.ctx.kube.servesResource(group, version, resource), impact);
  }

  /**
   * Asks discovery. Like `attempt`, but an answer here is not yet something read: when discovery
   * worked and no list did, the failure of the lists is the error `finish` throws.
   */
  discover<T>(what: string, ref: Partial<ResourceRef>, read: () => Promise<T>, impact?: string): Promise<T | undefined> {
    return this.run(what, ref, read, impact, { counts: false, listing: true });
  }

  /**
   * Any other read (a get): its value, or undefined when it failed with one of the errors a
   * cluster gives (refused, not found, unavailable, malformed, timed out): a finding then.
   * Errors of our own (a bug) and the op being cancelled go on up. `what` names the finding when
   * `ref` has no resource.
   */
  attempt<T>(what: string, ref: Partial<ResourceRef>, read: () => Promise<T>, impact?: string): Promise<T | undefined> {
    return this.run(what, ref, read, impact, { counts: true, listing: false });
  }

  /**
   * `counts`: a success is something read (see finish). `listing`: a 404 means the kind is not
   * served (for a get it would be the object that is missing, which the caller handles).
   */
  private async run<T>(
    what: string,
    ref: Partial<ResourceRef>,
    read: () => Promise<T>,
    impact: string | undefined,
    how: { counts: boolean; listing: boolean },
  ): Promise<T | undefined> {
    try {
      const value = await read();
      if (how.counts) this.succeeded++;
      return value;
    } catch (err) {
      if (this.ctx.signal.aborted || !isHomelabError(err)) throw err;
      this.firstError ??= err;
      this.unreadable(what, ref, err, impact, how.listing);
      return undefined;
    }
  }

  /** Counts an object as looked at (lists do this for each object they read; a get says it). */
  saw(kind: string, meta: Pick<ObjectMeta, 'name' | 'namespace'>): void {
    this.lookedTotal++;
    if (this.looked.length < MAX_LOOKED) this.looked.push({ kind, ...(meta.namespace ? { namespace: meta.namespace } : {}), name: meta.name });
  }

  /** A check's report: its findings sorted (with what could not be read, when the check adds `finish()`), and what it looked at. */
  report<D>(fields: Omit<CheckReport<D>, 'looked' | 'lookedTotal'>): CheckReport<D> {
    return { ...fields, findings: sortFindings([...fields.findings]), looked: [...this.looked], lookedTotal: this.lookedTotal };
  }

  /** The findings so far: what could not be read, and why. */
  findings(): Finding[] {
    return [...this.problems];
  }

  /** The findings; the first error instead when something failed and nothing at all could be read. */
  finish(): Finding[] {
    if (this.succeeded === 0 && this.firstError) throw this.firstError;
    return this.findings();
  }

  private unreadable(what: string, ref: Partial<ResourceRef>, err: HomelabError, impact: string | undefined, listing: boolean): void {
    const name = ref.resource ? resourceName({ group: ref.group ?? '', resource: ref.resource }) : what;
    const then = impact ? `; ${impact}` : '';
    let reason: string;
    let message: string;
    if (err.kind === 'Forbidden') {
      reason = 'Forbidden';
      message = `${err.message}${then}`;
    } else if (err.kind === 'NotFound' && listing && ref.resource && ref.version) {
      reason = 'NotServed';
      message = `${ref.group ? `${ref.group}/` : ''}${ref.version} serves no ${ref.resource} here (404)${then}`;
    } else {
      // The port's errors already say what was asked and what came back.
      reason = 'ReadFailed';
      message = `${err.message}${then}`;
    }
    if (this.problems.some((p) => p.name === name && p.namespace === ref.namespace && p.reason === reason)) return;
    this.problems.push({ severity: 'warn', kind: 'Check', namespace: ref.namespace, name, reason, message });
  }

  private malformed(kind: string, raw: unknown, error: z.ZodError): void {
    const meta = (raw as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
    const issue = error.issues[0];
    this.problems.push({
      severity: 'warn',
      kind,
      namespace: typeof meta?.namespace === 'string' ? meta.namespace : undefined,
      name: typeof meta?.name === 'string' ? meta.name : '(unnamed)',
      reason: 'Malformed',
      message: `not checked: the API answered it in a shape homelab cannot read (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
    });
  }
}
