import type { Scenario } from '@homelab/sandbox';
import type { z } from 'zod';
import type { Finding } from '../../src/ops/shared/findings.js';
import type ingressStatus from '../../src/ops/ingress/ingress-status.js';

/** What the ops answer: their own output schemas. */
export type IngressJson = z.output<typeof ingressStatus.output>;
export type { Finding };

/** One Ingress with every way a backend can be broken, one healthy legacy-class Ingress. */
export function brokenScenario(): Scenario {
  return {
    name: 'ingress-trouble',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.40', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'web' }],
    apiResources: [{ group: 'cert-manager.io', versions: ['v1'], kind: 'Certificate', plural: 'certificates' }],
    workloads: [
      {
        kind: 'Deployment',
        name: 'site',
        namespace: 'web',
        replicas: 2,
        created: '-3d',
        containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }],
        service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    ],
    objects: [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'site', namespace: 'web', creationTimestamp: '-3d' },
        spec: {
          ingressClassName: 'nginx',
          tls: [
            { hosts: ['site.lab.example.org'], secretName: 'site-tls' },
            { hosts: ['api.lab.example.org'], secretName: 'api-tls' },
          ],
          rules: [
            {
              host: 'site.lab.example.org',
              http: {
                paths: [
                  { path: '/', pathType: 'Prefix', backend: { service: { name: 'site', port: { number: 80 } } } },
                  { path: '/metrics', pathType: 'Prefix', backend: { service: { name: 'site', port: { name: 'metrics' } } } },
                ],
              },
            },
            {
              host: 'api.lab.example.org',
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } }] },
            },
          ],
        },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.40' }] } },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'legacy', namespace: 'web', creationTimestamp: '-300d', annotations: { 'kubernetes.io/ingress.class': 'traefik' } },
        spec: { defaultBackend: { service: { name: 'site', port: { name: 'http' } } } },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'site-tls', namespace: 'web', creationTimestamp: '-3d' },
        data: { 'tls.crt': 'c2VjcmV0', 'tls.key': 'c2VjcmV0' },
      },
      // An Opaque secret named like the missing TLS secret does not count.
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: 'api-tls', namespace: 'web', creationTimestamp: '-3d' },
        data: { token: 'c2VjcmV0' },
      },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'site-tls', namespace: 'web', creationTimestamp: '-3d', generation: 2 },
        spec: { secretName: 'site-tls', dnsNames: ['site.lab.example.org'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'IncorrectIssuer',
              message: 'Issuing certificate as Secret was previously issued by ClusterIssuer.cert-manager.io/selfsigned',
              lastTransitionTime: '-1h',
            },
          ],
        },
      },
    ],
  };
}
