import type { Scenario } from '@homelab/sandbox';
import type { z } from 'zod';
import type { Finding } from '../../src/ops/shared/findings.js';
import type tailscaleStatus from '../../src/ops/tailscale/tailscale-status.js';

/** What the ops answer: their own output schemas. */
export type TailscaleJson = z.output<typeof tailscaleStatus.output>;
export type { Finding };

const ts = (kind: string, plural: string) => ({ group: 'tailscale.com', versions: ['v1alpha1'], kind, plural, namespaced: false });
const cond = (type: string, status: string, reason: string, message: string, observedGeneration = 1) => ({
  type,
  status,
  reason,
  message,
  observedGeneration,
  lastTransitionTime: '-1h',
});

/** A newer operator (every kind) in its own namespace, with a crash-looping operator and trouble in each kind. */
export function tailscaleTrouble(): Scenario {
  return {
    name: 'tailscale-trouble',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.50', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'tailnet' }],
    apiResources: [
      ts('Connector', 'connectors'),
      ts('ProxyClass', 'proxyclasses'),
      ts('ProxyGroup', 'proxygroups'),
      ts('Recorder', 'recorders'),
      ts('DNSConfig', 'dnsconfigs'),
      ts('Tailnet', 'tailnets'),
      ts('PeerRelay', 'peerrelays'),
    ],
    workloads: [
      {
        kind: 'Deployment',
        name: 'operator',
        namespace: 'tailnet',
        created: '-30d',
        containers: [{ name: 'operator', image: 'tailscale/k8s-operator:v1.96.0' }],
        pods: [{ containers: { operator: { restarts: 14, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } } } }],
      },
      {
        kind: 'StatefulSet',
        name: 'ts-subnet-router',
        namespace: 'tailnet',
        created: '-30d',
        containers: [{ name: 'tailscale', image: 'tailscale/tailscale:v1.96.0' }],
      },
    ],
    objects: [
      {
        apiVersion: 'tailscale.com/v1alpha1',
        kind: 'Connector',
        metadata: { name: 'subnet-router', creationTimestamp: '-30d', generation: 1 },
        spec: { hostname: 'lab-subnet', subnetRouter: { advertiseRoutes: ['10.0.0.0/24', '10.0.1.0/24'] } },
        status: {
          conditions: [cond('ConnectorReady', 'True', 'ConnectorCreated', 'Connector created')],
          subnetRoutes: '10.0.0.0/24,10.0.1.0/24',
          isExitNode: false,
          tailnetIPs: ['100.64.0.7'],
          hostname: 'lab-subnet',
        },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1',
        kind: 'Connector',
        metadata: { name: 'exit', creationTimestamp: '-2d', generation: 1 },
        spec: { exitNode: true, proxyClass: 'missing' },
        status: { conditions: [cond('ConnectorReady', 'False', 'ConnectorCreationFailed', 'ProxyClass "missing" does not exist')] },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1',
        kind: 'ProxyGroup',
        metadata: { name: 'ingress', creationTimestamp: '-10d', generation: 1 },
        spec: { type: 'ingress', replicas: 2 },
        status: {
          conditions: [
            cond('ProxyGroupReady', 'False', 'ProxyGroupCreating', '1/2 ProxyGroup pods running'),
            cond('ProxyGroupAvailable', 'True', 'ProxyGroupAvailable', '1/2 ProxyGroup pods running'),
          ],
        },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1',
        kind: 'DNSConfig',
        metadata: { name: 'ts-dns', creationTimestamp: '-10d', generation: 3 },
        spec: { nameserver: { image: { repo: 'tailscale/k8s-nameserver', tag: 'stable' } } },
        status: { conditions: [cond('NameserverReady', 'True', 'NameserverCreated', 'Nameserver created', 2)], nameserver: { ip: '10.43.0.53' } },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1',
        kind: 'Tailnet',
        metadata: { name: 'home', creationTimestamp: '-10d', generation: 1 },
        spec: { credentials: { secretName: 'oauth' } },
      },
    ],
    config: { tailscale: { namespace: 'tailnet' } },
  };
}
