/** Nodes, namespaces (with their default ServiceAccount and kube-root-ca.crt) and the kubernetes Service. */
import { at, ts, type Ctx } from './expand-context.js';
import { hex, uidFor } from './ids.js';
import { kibibytes, parseQuantity } from './quantity.js';
import type { NodeSpec } from './scenario.js';
import type { KubeObject } from '../apiserver/types.js';

function memoryKi(q: string, factor: number): string {
  return kibibytes(parseQuantity(q) * factor);
}

export function nodeObject(ctx: Ctx, n: NodeSpec): KubeObject {
  const created = at(ctx, n.created, new Date(ctx.now.getTime() - 90 * 86400_000));
  const info = ctx.nodes.get(n.name);
  const index = info?.index ?? 0;
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': n.arch,
    'beta.kubernetes.io/instance-type': 'k3s',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': n.arch,
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'k3s',
  };
  for (const r of n.roles) labels[`node-role.kubernetes.io/${r}`] = 'true';
  Object.assign(labels, n.labels ?? {});
  const heartbeat = ts(new Date(ctx.now.getTime() - Math.floor(ctx.rnd(n.name) * 50_000) - 5000));
  const readyStatus = n.ready === true ? 'True' : n.ready === false ? 'False' : 'Unknown';
  const pressure = new Set(n.pressure ?? []);
  const cond = (type: string, bad: boolean, okReason: string, okMsg: string, badReason: string, badMsg: string): Record<string, unknown> => ({
    type,
    status: bad ? 'True' : 'False',
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: ts(created),
    reason: bad ? badReason : okReason,
    message: bad ? badMsg : okMsg,
  });
  const capacity = {
    cpu: n.cpu,
    'ephemeral-storage': n.storage ? memoryKi(n.storage, 1) : '61202244Ki',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    'hugepages-32Mi': '0',
    'hugepages-64Ki': '0',
    memory: /Ki$/.test(n.memory) ? n.memory : memoryKi(n.memory, 1),
    pods: n.pods ?? '110',
  };
  const storageBytes = parseQuantity(capacity['ephemeral-storage']);
  const taints = [...(n.taints ?? [])];
  if (n.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', value: undefined });
  if (n.ready !== true) {
    taints.push({ key: n.ready === false ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable', effect: 'NoSchedule', value: undefined });
  }
  const spec: Record<string, unknown> = { podCIDR: `10.42.${index}.0/24`, podCIDRs: [`10.42.${index}.0/24`], providerID: `k3s://${n.name}` };
  if (taints.length) spec.taints = taints.map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : t));
  if (n.unschedulable) spec.unschedulable = true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      uid: uidFor(`node/${n.name}`),
      creationTimestamp: ts(created),
      labels,
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': n.ip,
        'flannel.alpha.coreos.com/backend-data': `{"VNI":1,"VtepMAC":"${macFor(n.name)}"}`,
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': n.ip,
        'k3s.io/hostname': n.name,
        'k3s.io/internal-ip': n.ip,
        'k3s.io/node-args': n.roles.includes('control-plane') ? '["server","--disable","traefik"]' : '["agent"]',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...(n.annotations ?? {}),
      },
    },
    spec,
    status: {
      addresses: [
        { address: n.ip, type: 'InternalIP' },
        { address: n.name, type: 'Hostname' },
      ],
      allocatable: { ...capacity, 'ephemeral-storage': String(Math.floor(storageBytes * 0.97)) },
      capacity,
      conditions: [
        cond(
          'MemoryPressure',
          pressure.has('MemoryPressure'),
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
          'KubeletHasInsufficientMemory',
          'kubelet has insufficient memory available',
        ),
        cond(
          'DiskPressure',
          pressure.has('DiskPressure'),
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
          'KubeletHasDiskPressure',
          'kubelet has disk pressure',
        ),
        cond(
          'PIDPressure',
          pressure.has('PIDPressure'),
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
          'KubeletHasInsufficientPID',
          'kubelet has insufficient PID available',
        ),
        {
          type: 'Ready',
          status: readyStatus,
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: ts(readyStatus === 'True' ? created : new Date(ctx.now.getTime() - 600_000)),
          reason: readyStatus === 'True' ? 'KubeletReady' : readyStatus === 'False' ? 'KubeletNotReady' : 'NodeStatusUnknown',
          message:
            readyStatus === 'True'
              ? 'kubelet is posting ready status'
              : readyStatus === 'False'
                ? 'container runtime network not ready'
                : 'Kubelet stopped posting node status.',
        },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: n.arch,
        bootID: uidFor(`boot/${n.name}`),
        containerRuntimeVersion: n.containerRuntime ?? ctx.scenario.cluster.containerRuntime,
        kernelVersion: n.kernel ?? '6.6.51+rpt-rpi-2712',
        kubeProxyVersion: ctx.scenario.cluster.version,
        kubeletVersion: ctx.scenario.cluster.version,
        machineID: hex(`machine/${n.name}`, 32),
        operatingSystem: 'linux',
        osImage: n.osImage ?? 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: hex(`sys/${n.name}`, 32),
      },
    },
  };
}

function macFor(seed: string): string {
  return hex(`mac/${seed}`, 12).match(/../g)?.join(':') ?? '00:00:00:00:00:00';
}

const CA_PLACEHOLDER = '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n';

export function namespaceObjects(ctx: Ctx, name: string, created: Date, labels?: Record<string, string>): void {
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, uid: uidFor(`ns/${name}`), creationTimestamp: ts(created), labels: { 'kubernetes.io/metadata.name': name, ...(labels ?? {}) } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: name, creationTimestamp: ts(created), uid: uidFor(`sa/${name}/default`) },
  });
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'kube-root-ca.crt',
      namespace: name,
      creationTimestamp: ts(created),
      annotations: {
        'kubernetes.io/description':
          'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
      },
    },
    data: { 'ca.crt': CA_PLACEHOLDER },
  });
}

export function kubernetesService(ctx: Ctx, created: Date): void {
  const cp = ctx.scenario.nodes.find((n) => n.roles.includes('control-plane')) ?? ctx.scenario.nodes[0];
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ts(created), labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      clusterIP: '10.43.0.1',
      clusterIPs: ['10.43.0.1'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  });
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ts(created), labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: cp?.ip ?? '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
  });
}
