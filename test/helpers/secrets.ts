import type { Scenario } from '@homelab/sandbox';
import type { z } from 'zod';
import type { Finding } from '../../src/ops/shared/findings.js';
import type secretsStatus from '../../src/ops/secrets/secrets-status.js';
import type secretsRefresh from '../../src/ops/secrets/secrets-refresh.js';

/** What the ops answer: their own output schemas. */
export type SecretsJson = z.output<typeof secretsStatus.output>;
export type RefreshJson = z.output<typeof secretsRefresh.output>;
export type { Finding };

export interface StoredEvent {
  reason: string;
  count: number;
  lastTimestamp: string;
  message: string;
  involvedObject: { name: string };
}
export interface EsObject {
  metadata: { annotations?: Record<string, string> };
  status: { refreshTime?: string };
}

/** A controller that stopped: Ready, but refreshed long ago; a store whose credentials broke. */
export function staleScenario(): Scenario {
  const esCrd = (kind: string, plural: string, namespaced = true) => ({ group: 'external-secrets.io', versions: ['v1'], kind, plural, namespaced });
  return {
    name: 'eso-stale',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.30', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'apps' }],
    apiResources: [esCrd('ExternalSecret', 'externalsecrets'), esCrd('SecretStore', 'secretstores'), esCrd('ClusterSecretStore', 'clustersecretstores', false)],
    externalSecrets: [
      { name: 'hourly', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshInterval: '1h', refreshed: '-3h' },
      {
        name: 'recent',
        namespace: 'apps',
        store: 'ClusterSecretStore/onepassword',
        data: { token: 'app#token' },
        refreshInterval: '1h0m0s',
        refreshed: '-90m',
      },
      { name: 'once', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshInterval: '0s', refreshed: '-30d' },
      {
        name: 'on-change',
        namespace: 'apps',
        store: 'ClusterSecretStore/onepassword',
        data: { token: 'app#token' },
        refreshPolicy: 'OnChange',
        refreshed: '-30d',
      },
      {
        name: 'broken',
        namespace: 'apps',
        store: 'ClusterSecretStore/onepassword',
        data: { token: 'app#token' },
        refreshed: '-2h',
        error: 'unable to read item app: 401 Unauthorized',
      },
    ],
    objects: [
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        metadata: { name: 'onepassword', creationTimestamp: '-100d' },
        spec: { provider: { onepassword: { connectHost: 'http://onepassword-connect:8080', vaults: { homelab: 1 } } } },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'InvalidProviderConfig',
              message: 'unable to validate store: 401 Unauthorized',
              lastTransitionTime: '-2h',
            },
          ],
        },
      },
    ],
  };
}
