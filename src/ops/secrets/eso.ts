import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { conditionSchema, metadataSchema } from '../shared/k8s.js';
import { pickVersion } from '../shared/api.js';

/**
 * External Secrets Operator: `external-secrets.io/v1` since 0.16, only `v1beta1` before; 0.17 stopped
 * serving v1beta1. Discovery picks; the two versions read the same for the fields used here.
 */
export const ESO = 'external-secrets.io';
export const ESO_VERSIONS = ['v1', 'v1beta1'] as const;

/** The served version of External Secrets, or undefined when it is not installed. */
export async function esoVersion(ctx: OpContext): Promise<string | undefined> {
  const version = await pickVersion(ctx.kube, ESO, ESO_VERSIONS);
  if (!version) return undefined;
  return (await ctx.kube.servesResource(ESO, version, 'externalsecrets')) ? version : undefined;
}

export const externalSecretSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      refreshInterval: z.string().optional(),
      refreshPolicy: z.string().optional(),
      secretStoreRef: z.looseObject({ name: z.string().optional(), kind: z.string().optional() }).optional(),
      target: z.looseObject({ name: z.string().optional() }).optional(),
    })
    .default({}),
  status: z
    .looseObject({
      refreshTime: z.string().nullish(),
      syncedResourceVersion: z.string().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .default({}),
});
export type ExternalSecret = z.infer<typeof externalSecretSchema>;

/** A SecretStore or ClusterSecretStore: its provider and its Ready condition. */
export const storeSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ provider: z.record(z.string(), z.unknown()).optional() }).default({}),
  status: z.looseObject({ conditions: z.array(conditionSchema).optional() }).default({}),
});

/** ESO's CRD default when spec.refreshInterval is unset. */
export const DEFAULT_REFRESH_INTERVAL = '1h';

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1h0m0s", "15m", "1.5h", "500ms", "0s") in milliseconds; undefined when unreadable. */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== trimmed) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (GO_UNITS[p[2] as string] ?? 0), 0);
}

/**
 * Whether a forced sync would make the controller fetch again, as ESO decides it: CreatedOnce never
 * refreshes after the first sync, and Periodic with interval 0 short-circuits before the annotation
 * hash is compared. Returns why not, or undefined when a refresh would happen.
 */
export function refreshBlocked(es: ExternalSecret): string | undefined {
  const synced = Boolean(es.status.refreshTime || es.status.syncedResourceVersion);
  const policy = es.spec.refreshPolicy ?? 'Periodic';
  if (policy === 'CreatedOnce' && synced) {
    return 'its refreshPolicy is CreatedOnce: External Secrets fetches it once, when it is created, and never again';
  }
  const interval = parseGoDuration(es.spec.refreshInterval ?? DEFAULT_REFRESH_INTERVAL);
  if (policy === 'Periodic' && interval === 0 && synced) {
    return 'its refreshInterval is 0s (fetch once) and it has already synced: External Secrets ignores a forced sync then';
  }
  return undefined;
}
