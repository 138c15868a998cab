import { z } from 'zod';
import { defineOp, type OpContext } from '../../core/op.js';
import { NotFound, UserError, isHomelabError } from '../../core/errors.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { namespacedNameSchema, splitNamespacedName } from '../../core/schemas.js';
import { parseObject } from '../shared/k8s.js';
import { conditionStatusSchema, conditionState } from '../shared/conditions.js';
import { observed } from '../shared/plan.js';
import { boundWithWait, pollInterval, pollUntil, waitInput, waitMs } from '../shared/wait.js';
import { latestEvent } from '../shared/events.js';
import { ESO, esoVersion, externalSecretSchema, refreshBlocked, storeSchema, type ExternalSecret } from './eso.js';

/** ESO documents any annotation change as a forced sync; `force-sync: <unix seconds>` is its convention. */
const FORCE_SYNC = 'force-sync';
const POLL_MS = 250;

const output = z.object({
  namespace: z.string(),
  name: z.string(),
  version: z.string().describe('The external-secrets.io version used: v1 or v1beta1'),
  forceSync: z.string().describe('The force-sync annotation value written (unix seconds)'),
  requestedAt: z.string().describe('RFC3339 time of the request'),
  waited: z.boolean().describe('Whether the refresh was waited for'),
  refreshed: z.boolean().describe('The controller fetched again after the request (false when not waited for)'),
  previousRefreshTime: z.string().optional(),
  refreshTime: z.string().optional().describe('status.refreshTime after the refresh (before it, when not waited for)'),
  ready: conditionStatusSchema.describe('The Ready condition after the refresh'),
  reason: z.string().optional(),
  message: z.string().optional(),
  failure: z
    .string()
    .optional()
    .describe(
      "Why the sync fails: the provider's error from the controller's UpdateFailed event after the request, or the store that is not Ready (then it was not waited for)",
    ),
});

/**
 * Why a sync of this ExternalSecret cannot succeed whatever the refresh: its store does not exist,
 * or it is Ready=False (ESO's flood gate, on by default: --enable-flood-gate, cmd/root.go; the
 * client manager refuses a store that is not Ready, assertStoreIsUsable). undefined when the store
 * is Ready, has not been judged yet, or cannot be read: then the controller's answer is waited for.
 */
async function storeBlocks(ctx: OpContext, version: string, es: ExternalSecret): Promise<string | undefined> {
  const kind = es.spec.secretStoreRef?.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
  const name = es.spec.secretStoreRef?.name;
  if (!name) return undefined;
  const ref: ResourceRef = {
    group: ESO,
    version,
    resource: kind === 'SecretStore' ? 'secretstores' : 'clustersecretstores',
    namespace: kind === 'SecretStore' ? es.metadata.namespace : undefined,
  };
  try {
    const store = parseObject(storeSchema, await ctx.kube.get(ref, name), kind);
    const ready = conditionState(store, 'Ready');
    if (ready.status !== 'False') return undefined;
    return `its ${kind} ${name} is not Ready (${ready.reason ?? 'False'}${ready.message ? `: ${ready.message}` : ''}): External Secrets will not sync from it until it is`;
  } catch (err) {
    if (err instanceof NotFound) return `its ${kind} ${name} does not exist`;
    if (isHomelabError(err)) return undefined;
    throw err;
  }
}

/**
 * The provider's error, as the controller reports each failed sync: a Warning event UpdateFailed on
 * the ExternalSecret (the Ready condition only says "could not get secret data from provider"; ESO
 * pkg/controllers/externalsecret/externalsecret_controller.go, markAsFailed).
 * Events are context: one that cannot be read is no answer, not an error.
 */
async function providerError(ctx: OpContext, namespace: string, name: string): Promise<{ message: string; at: number } | undefined> {
  try {
    return await latestEvent(ctx, { kind: 'ExternalSecret', namespace, name }, 'UpdateFailed');
  } catch (err) {
    if (isHomelabError(err) && !ctx.signal.aborted) return undefined;
    throw err;
  }
}

const readyState = (es: ExternalSecret) => conditionState(es, 'Ready');

export default defineOp({
  name: 'secrets_refresh',
  title: 'Force an ExternalSecret to sync',
  description: "Force-sync an ExternalSecret in allow.secretsRefresh, e.g. after rotating a secret. Returns refreshTime and Ready, or the provider's error.",
  effect: 'write',
  input: z
    .object({
      externalSecret: namespacedNameSchema.describe('NAMESPACE/NAME'),
      ...waitInput({ timeout: '30s', max: '2m' }),
    })
    .strict(),
  output,
  args: ['externalSecret'],
  // Fetching again from the store overwrites the Secret with what the store holds; nothing is lost.
  // The Secret's data is replaced by what the store holds now.
  hints: { destructive: true, idempotent: true },
  guard: { list: 'secretsRefresh', target: (input) => input.externalSecret },
  rbac: [
    { apiGroup: ESO, resource: 'externalsecrets', verbs: ['get', 'patch'] },
    { apiGroup: ESO, resource: 'secretstores', verbs: ['get'] },
    { apiGroup: ESO, resource: 'clustersecretstores', verbs: ['get'] },
    { apiGroup: '', resource: 'events', verbs: ['list'] },
  ],
  timeoutMs: 30_000,
  timeoutFor: boundWithWait(30_000),
  async plan(ctx, input) {
    const { namespace, name } = splitNamespacedName(input.externalSecret);
    const version = await esoVersion(ctx);
    if (!version) {
      throw new NotFound(`cannot refresh ExternalSecret ${namespace}/${name}: External Secrets is not installed (external-secrets.io is not served)`);
    }
    const ref: ResourceRef = { group: ESO, version, resource: 'externalsecrets', namespace };
    const before = parseObject(externalSecretSchema, await ctx.kube.get(ref, name), 'ExternalSecret');
    const blocked = refreshBlocked(before);
    if (blocked) {
      throw new UserError(`refreshing ExternalSecret ${namespace}/${name} would do nothing: ${blocked}`, {
        hint: 'to fetch it again, change its refreshPolicy/refreshInterval, or delete the target Secret so the controller recreates it',
      });
    }
    const requested = ctx.now();
    const requestedS = Math.floor(requested.getTime() / 1000);
    // The value must change for the controller to notice: two requests in the same second count up.
    const previous = Number(before.metadata.annotations?.[FORCE_SYNC]);
    const forceSync = String(Number.isFinite(previous) && previous >= requestedS ? previous + 1 : requestedS);
    const patch = { metadata: { annotations: { [FORCE_SYNC]: forceSync } } };
    // Nothing will change while the store is missing or not Ready: said in the plan, and at once after the request.
    const blockedByStore = readyState(before).status === 'True' ? undefined : await storeBlocks(ctx, version, before);
    const store = before.spec.secretStoreRef;
    return {
      summary: `force ExternalSecret ${namespace}/${name} to sync now (force-sync=${forceSync})`,
      changes: [{ action: `patch ExternalSecret ${namespace}/${name} (merge patch)`, body: patch }],
      effects: [
        `the external-secrets controller fetches from ${store?.kind ?? 'SecretStore'} ${store?.name ?? '?'} now and rewrites Secret ${namespace}/${before.spec.target?.name ?? name}; pods that read it as environment variables see the new value only after a restart`,
        ...(blockedByStore ? [`it cannot sync now: ${blockedByStore}`] : []),
      ],
      observed: [observed('ExternalSecret', before)],
      state: { namespace, name, ref, version, before, forceSync, patch, requestedAt: requested.toISOString(), requestedS, blockedByStore },
    };
  },
  async run(ctx, input, plan) {
    const { namespace, name, ref, version, before, forceSync, patch, requestedAt, requestedS, blockedByStore } = plan.state;
    await ctx.kube.patch(ref, name, patch, 'merge');
    const previousRefreshTime = before.status.refreshTime ?? undefined;
    const base = { namespace, name, version, forceSync, requestedAt, previousRefreshTime };
    const was = readyState(before);
    const notWaited = (failure?: string) => ({
      ...base,
      waited: false,
      refreshed: false,
      refreshTime: previousRefreshTime,
      ready: was.status,
      reason: was.reason,
      message: was.message,
      failure,
    });
    if (!input.wait) return notWaited();
    if (blockedByStore) return notWaited(blockedByStore);

    ctx.log.progress(`waiting for ExternalSecret ${namespace}/${name} to refresh (force-sync=${forceSync})`);
    // refreshTime has whole seconds, so two refreshes in one second leave it unchanged; the controller
    // also records the annotations' hash it synced (syncedResourceVersion), which our patch changed.
    const floor = requestedS * 1000;
    const movedPast = (time: string | null | undefined, since: string | null | undefined) =>
      Boolean(time) && time !== since && Date.parse(time as string) >= floor;
    const synced = (es: ExternalSecret) =>
      movedPast(es.status.refreshTime, previousRefreshTime) ||
      (Boolean(es.status.syncedResourceVersion) &&
        es.status.syncedResourceVersion !== before.status.syncedResourceVersion &&
        Date.parse(es.status.refreshTime ?? '') >= floor);
    // A failed fetch moves neither refreshTime nor, when it was failing already, the Ready condition:
    // the controller's UpdateFailed event after the request is what says it tried and why it failed.
    let lastFailure: string | undefined;
    const timeoutMs = waitMs(input);
    const after = await pollUntil(
      async () => {
        const es = parseObject(externalSecretSchema, await ctx.kube.get(ref, name), 'ExternalSecret');
        if (synced(es)) return { es, failure: undefined };
        const r = readyState(es);
        if (r.status !== 'False') return undefined;
        const event = await providerError(ctx, namespace, name);
        if (event) lastFailure = event.message;
        if (event && event.at >= floor) return { es, failure: event.message };
        if (movedPast(r.since, was.since)) return { es, failure: r.message };
        return undefined;
      },
      {
        timeoutMs,
        intervalMs: pollInterval(ctx, POLL_MS),
        signal: ctx.signal,
        describe: () =>
          `ExternalSecret ${namespace}/${name} was not refreshed within ${input.timeout} of force-sync=${forceSync} (refreshTime still ${previousRefreshTime ?? 'unset'}, no failed sync reported since): is the external-secrets controller running?` +
          (lastFailure ? ` It was failing before: ${lastFailure}` : ''),
      },
    );
    const r = readyState(after.es);
    const refreshTime = after.es.status.refreshTime ?? undefined;
    return { ...base, waited: true, refreshed: synced(after.es), refreshTime, ready: r.status, reason: r.reason, message: r.message, failure: after.failure };
  },
  summarize: (out) => {
    const what = `ExternalSecret ${out.namespace}/${out.name}`;
    if (!out.waited && out.failure) return { verdict: 'crit', line: `${what}: force-sync=${out.forceSync} requested, but it cannot sync: ${out.failure}` };
    if (!out.waited) return { verdict: 'ok', line: `${what}: force-sync=${out.forceSync} requested; not waiting for the controller` };
    if (out.ready !== 'True')
      return { verdict: 'crit', line: `${what}: the sync after force-sync failed: ${out.reason ?? 'NotReady'}: ${out.failure ?? out.message ?? ''}`.trimEnd() };
    return { verdict: 'ok', line: `${what} refreshed at ${out.refreshTime ?? '?'} (Ready)` };
  },
});
