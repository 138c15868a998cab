/**
 * The kubelet's summary API as the API server proxies it (GET /api/v1/nodes/NAME/proxy/stats/summary,
 * k8s.io/kubelet/pkg/apis/stats/v1alpha1 Summary): the node, and for each running pod on it the use
 * of its volumes. Only what the sandbox knows is filled in: the volumes of persistent volume claims,
 * with the bytes the scenario's `volumeUsage` says (a quarter of the claim's capacity otherwise).
 */
import { parseQuantity } from '../scenario/quantity.js';
import { rfc3339, type ObjectStore } from './store.js';
import { isRecord, type KubeObject } from './types.js';

/** Bytes per inode of the simulated filesystems (ext4's default inode ratio). */
const BYTES_PER_INODE = 16384;
/** The size of an average file on them: inodes fill far slower than bytes. */
const BYTES_PER_FILE = 1024 * 1024;

function fsStats(time: string, capacity: number, used: number): Record<string, unknown> {
  const inodes = Math.floor(capacity / BYTES_PER_INODE);
  const inodesUsed = Math.min(inodes, Math.floor(used / BYTES_PER_FILE));
  return { time, availableBytes: Math.max(0, capacity - used), capacityBytes: capacity, usedBytes: used, inodesFree: inodes - inodesUsed, inodes, inodesUsed };
}

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

export function statsSummary(store: ObjectStore, node: KubeObject, now: Date, volumeUsage: Readonly<Record<string, string>>): Record<string, unknown> {
  const time = rfc3339(now);
  const nodeName = node.metadata.name ?? '';
  const disk = parseQuantity(String(rec(rec(node.status).capacity)['ephemeral-storage'] ?? '0'));
  const pods = store.list('pods').filter((p) => rec(p.spec).nodeName === nodeName && rec(p.status).phase === 'Running');
  return {
    node: { nodeName, startTime: node.metadata.creationTimestamp, fs: fsStats(time, disk, Math.floor(disk * 0.4)) },
    pods: pods.map((pod) => {
      const namespace = pod.metadata.namespace ?? '';
      const volume = (Array.isArray(rec(pod.spec).volumes) ? (rec(pod.spec).volumes as unknown[]) : []).flatMap((v) => {
        const claimName = rec(rec(v).persistentVolumeClaim).claimName;
        if (typeof claimName !== 'string') return [];
        const claim = store.get('persistentvolumeclaims', namespace, claimName);
        const capacity = rec(rec(claim?.status).capacity).storage;
        if (!claim || rec(claim.status).phase !== 'Bound' || capacity === undefined) return [];
        const bytes = parseQuantity(String(capacity));
        const given = volumeUsage[`${namespace}/${claimName}`];
        const used = Math.floor(given === undefined ? bytes / 4 : Math.min(bytes, parseQuantity(given)));
        return [{ ...fsStats(time, bytes, used), name: rec(v).name, pvcRef: { name: claimName, namespace } }];
      });
      return {
        podRef: { name: pod.metadata.name, namespace, uid: pod.metadata.uid },
        startTime: rec(pod.status).startTime ?? pod.metadata.creationTimestamp,
        containers: [],
        ...(volume.length ? { volume } : {}),
      };
    }),
  };
}
