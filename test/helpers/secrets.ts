import type { Scenario } from '@homelab/sandbox';

/** What the External Secrets ops answer, and a cluster where they go stale, as the tests read them. */
export interface Finding {
  severity: string;
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
  message: string;
}
export interface SecretsJson {
  installed: boolean;
  version?: string;
  note?: string;
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  externalSecrets: Array<{
    namespace: string;
    name: string;
    ready: string;
    reason?: string;
    refreshTime?: string;
    refreshInterval: string;
    refreshPolicy?: string;
    store: { kind: string; name: string };
    stale: boolean;
  }>;
  stores: Array<{ kind: string; namespace?: string; name: string; ready: string; reason?: string; provider?: string }>;
  findings: Finding[];
}
export interface RefreshJson {
  namespace: string;
  name: string;
  version: string;
  forceSync: string;
  waited: boolean;
  refreshed: boolean;
  previousRefreshTime?: string;
  refreshTime?: string;
  ready: string;
  reason?: string;
  message?: string;
  failure?: string;
}
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
