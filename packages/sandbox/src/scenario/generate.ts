/** Large generated scenarios for benchmarks: N nodes, M pods spread over K namespaces. */
import type { Scenario } from './scenario.js';

export function generateScenario(opts: { nodes?: number; pods: number; namespaces?: number }): Scenario {
  const nodeCount = Math.max(1, opts.nodes ?? Math.max(3, Math.ceil(opts.pods / 100)));
  const nsCount = Math.max(1, opts.namespaces ?? Math.max(1, Math.ceil(opts.pods / 50)));
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({
    name: i === 0 ? 'node-0' : `node-${i}`, roles: i === 0 ? ['control-plane', 'master'] : [], ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    cpu: '8', memory: '32Gi', pods: String(Math.max(110, Math.ceil(opts.pods / nodeCount) + 20)), created: '-200d',
  }));
  const namespaces = Array.from({ length: nsCount }, (_, i) => ({ name: `team-${i}`, created: '-150d' }));
  const workloads: NonNullable<Scenario['workloads']> = [];
  let remaining = opts.pods;
  let w = 0;
  while (remaining > 0) {
    const replicas = Math.min(remaining, 1 + (w % 5));
    const ns = `team-${w % nsCount}`;
    workloads.push({
      kind: 'Deployment', name: `app-${w}`, namespace: ns, replicas, created: `-${10 + (w % 90)}d`,
      containers: [{ name: 'app', image: `registry.example.com/app-${w % 20}:1.${w % 7}.0`, ports: [{ name: 'http', containerPort: 8080 }],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } } }],
      service: w % 3 === 0 ? { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } : undefined,
    });
    remaining -= replicas;
    w++;
  }
  return { name: `generated-${opts.pods}`, description: `${opts.pods} pods on ${nodeCount} nodes in ${nsCount} namespaces`, metrics: {}, nodes, namespaces, workloads };
}
