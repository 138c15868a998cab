/** Large generated scenarios for benchmarks: N nodes, M pods spread over K namespaces. */
import type { Scenario } from './scenario.js';

export interface GenerateOptions {
  nodes?: number;
  pods: number;
  namespaces?: number;
  /**
   * How many of the pods crash-loop (CrashLoopBackOff after an Error exit, not ready, restarts, and
   * the kubelet's BackOff Warning event), spread evenly over the workloads. Default none.
   */
  failingPods?: number;
}

type Workload = NonNullable<Scenario['workloads']>[number];
type PodOverride = NonNullable<Workload['pods']>[number];
type EventSpec = NonNullable<Scenario['events']>[number];

export function generateScenario(opts: GenerateOptions): Scenario {
  const nodeCount = Math.max(1, opts.nodes ?? Math.max(3, Math.ceil(opts.pods / 100)));
  const nsCount = Math.max(1, opts.namespaces ?? Math.max(1, Math.ceil(opts.pods / 50)));
  const failing = Math.min(opts.pods, Math.max(0, opts.failingPods ?? 0));
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({
    name: i === 0 ? 'node-0' : `node-${i}`,
    roles: i === 0 ? ['control-plane', 'master'] : [],
    ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    cpu: '8',
    memory: '32Gi',
    pods: String(Math.max(110, Math.ceil(opts.pods / nodeCount) + 20)),
    created: '-200d',
  }));
  const namespaces = Array.from({ length: nsCount }, (_, i) => ({ name: `team-${i}`, created: '-150d' }));
  const workloads: Workload[] = [];
  const events: EventSpec[] = [];
  // Pod number g fails when it takes the count of failing pods among the first g+1 one higher: evenly spread.
  const fails = (g: number) => Math.floor(((g + 1) * failing) / opts.pods) > Math.floor((g * failing) / opts.pods);
  let pod = 0;
  let w = 0;
  while (pod < opts.pods) {
    const replicas = Math.min(opts.pods - pod, 1 + (w % 5));
    const ns = `team-${w % nsCount}`;
    const name = `app-${w}`;
    const pods: PodOverride[] = [];
    for (let i = 0; i < replicas; i++, pod++) {
      if (!fails(pod)) {
        pods.push({});
        continue;
      }
      const restarts = 5 + (pod % 300);
      pods.push({
        containers: {
          app: {
            ready: false,
            restarts,
            waiting: { reason: 'CrashLoopBackOff' },
            lastTerminated: { reason: 'Error', exitCode: 1, startedAt: '-3m', finishedAt: '-2m50s' },
          },
        },
      });
      events.push({
        namespace: ns,
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container app',
        involved: { kind: 'Pod', workload: name, index: i, fieldPath: 'spec.containers{app}' },
        count: restarts,
        first: '-14h',
        last: '-2m',
      });
    }
    workloads.push({
      kind: 'Deployment',
      name,
      namespace: ns,
      replicas,
      created: `-${10 + (w % 90)}d`,
      containers: [
        {
          name: 'app',
          image: `registry.example.com/app-${w % 20}:1.${w % 7}.0`,
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        },
      ],
      service: w % 3 === 0 ? { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } : undefined,
      ...(pods.some((p) => p.containers) ? { pods } : {}),
    });
    w++;
  }
  const description = `${opts.pods} pods${failing ? ` (${failing} crash-looping)` : ''} on ${nodeCount} nodes in ${nsCount} namespaces`;
  return { name: `generated-${opts.pods}`, description, metrics: {}, nodes, namespaces, workloads, events };
}
