/**
 * `docker run` flags that run the image the way deploy/base runs it, read from the manifests
 * (deployment.yaml and the kustomization's configMapGenerator), so the container test follows them:
 * the user, group and fsGroup; a read-only root; the capabilities; no privilege escalation; the
 * memory limit; the environment; each volume (ConfigMap and Secret files with their modes, emptyDir
 * as tmpfs); the args. A setting this file does not know how to carry over fails the test, rather
 * than being left out.
 *
 * Two differences, both about the network: the container shares the host's network (to reach the
 * sandbox's API server on 127.0.0.1) and so listens on 127.0.0.1 and a free port, not 0.0.0.0:3000;
 * and it reads the sandbox's kubeconfig ($KUBECONFIG) instead of a ServiceAccount token.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, IPodSecurityContext, IPodSpec, ISecurityContext } from 'kubernetes-models/v1';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface AsDeployed {
  /** Everything between `docker run` and the image. */
  runFlags: string[];
  /** The container's args, with --host 127.0.0.1 and --port 0. */
  args: string[];
  /** The Deployment's terminationGracePeriodSeconds, in ms: how long SIGTERM may take. */
  graceMs: number;
  /** The memory limit, in bytes. */
  memoryBytes: number;
  user: { uid: number; gid: number };
}

/** What the test hands the container beyond the manifests. */
export interface Inputs {
  /** The files of each Secret volume (file name → content), by the path it is mounted at. */
  secretFiles: Record<string, Record<string, string>>;
  /** The kubeconfig to mount and point $KUBECONFIG at. */
  kubeconfig: string;
}

const kustomizationSchema = z.object({
  configMapGenerator: z.array(z.object({ name: z.string(), files: z.array(z.string()) })).default([]),
});

/** Bytes in a Kubernetes quantity such as 256Mi or 1G. */
export function quantityBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]i?|[kE]|)$/.exec(String(quantity));
  if (!match) throw new Error(`cannot read the quantity ${quantity}`);
  const factor: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  const unit = factor[match[2]!];
  if (unit === undefined) throw new Error(`cannot read the quantity ${quantity}`);
  return Math.round(Number(match[1]) * unit);
}

/** A flag's value replaced in an argument list; fails when the flag is not there. */
function replaceFlag(args: string[], flag: string, value: string): string[] {
  const at = args.indexOf(flag);
  if (at === -1 || at === args.length - 1) throw new Error(`the Deployment's args have no ${flag} VALUE: ${args.join(' ')}`);
  return args.map((a, i) => (i === at + 1 ? value : a));
}

function securityFlags(pod: IPodSecurityContext, container: ISecurityContext): { flags: string[]; uid: number; gid: number } {
  const uid = container.runAsUser ?? pod.runAsUser;
  const gid = container.runAsGroup ?? pod.runAsGroup;
  if (uid === undefined || gid === undefined) throw new Error('the Deployment sets no runAsUser/runAsGroup');
  const flags = ['--user', `${uid}:${gid}`];
  if (pod.fsGroup !== undefined) flags.push('--group-add', String(pod.fsGroup));
  if (container.readOnlyRootFilesystem) flags.push('--read-only');
  for (const cap of container.capabilities?.drop ?? []) flags.push('--cap-drop', cap);
  for (const cap of container.capabilities?.add ?? []) flags.push('--cap-add', cap);
  if (container.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  if (container.privileged) throw new Error('the Deployment runs privileged: the container test does not');
  // RuntimeDefault is Docker's default seccomp profile, which needs no flag.
  const seccomp = container.seccompProfile?.type ?? pod.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault') throw new Error(`seccomp profile ${seccomp ?? '(none)'}: the container test knows RuntimeDefault only`);
  return { flags, uid, gid };
}

/** Writes files as the kubelet lays out a ConfigMap or Secret volume: root-owned, group fsGroup, the volume's mode. */
function stageFiles(dir: string, files: Record<string, string>, mode: number, group: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    chownSync(file, 0, group);
    chmodSync(file, mode);
  }
}

/**
 * Reads deploy/base and stages, under `stage`, the files its volumes would hold: the ConfigMap's from
 * the configMapGenerator's files, each Secret's from `inputs.secrets`, and the kubeconfig.
 */
export function asDeployed(baseDir: string, stage: string, inputs: Inputs): AsDeployed {
  const deployment = parseYaml(readFileSync(path.join(baseDir, 'deployment.yaml'), 'utf8')) as IDeployment;
  const kustomization = kustomizationSchema.parse(parseYaml(readFileSync(path.join(baseDir, 'kustomization.yaml'), 'utf8')));
  const pod: IPodSpec | undefined = deployment.spec?.template.spec;
  const container: IContainer | undefined = pod?.containers[0];
  if (!pod || !container || pod.containers.length !== 1) throw new Error('deploy/base/deployment.yaml: expected one container');
  if (pod.initContainers?.length) throw new Error('the Deployment has init containers: the container test does not run them');

  const { flags, uid, gid } = securityFlags(pod.securityContext ?? {}, container.securityContext ?? {});
  const group = pod.securityContext?.fsGroup ?? gid;
  const runFlags = [...flags];

  const memory = container.resources?.limits?.memory;
  if (memory === undefined) throw new Error('the Deployment sets no memory limit');
  const memoryBytes = quantityBytes(memory);
  // No swap beyond the limit, as the kubelet runs it.
  runFlags.push('--memory', String(memoryBytes), '--memory-swap', String(memoryBytes));
  const cpu = container.resources?.limits?.cpu;
  if (cpu !== undefined) runFlags.push('--cpus', String(/m$/.test(String(cpu)) ? Number.parseInt(String(cpu), 10) / 1000 : Number(cpu)));

  for (const env of container.env ?? []) {
    if (env.value === undefined) throw new Error(`env ${env.name} is not a plain value: the container test cannot carry it over`);
    runFlags.push('--env', `${env.name}=${env.value}`);
  }

  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const unusedSecretFiles = new Set(Object.keys(inputs.secretFiles));
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new Error(`volumeMount ${mount.name} has no volume`);
    if (mount.subPath) throw new Error(`volumeMount ${mount.name} uses subPath: the container test does not`);
    const ro = mount.readOnly ? ':ro' : '';
    const dir = path.join(stage, mount.name);
    if (volume.emptyDir) {
      const size = volume.emptyDir.sizeLimit === undefined ? '' : `,size=${quantityBytes(volume.emptyDir.sizeLimit)}`;
      runFlags.push('--tmpfs', `${mount.mountPath}:rw,exec,mode=1777${size}`);
    } else if (volume.configMap) {
      const generated = kustomization.configMapGenerator.find((g) => g.name === volume.configMap?.name);
      if (!generated) throw new Error(`ConfigMap ${volume.configMap.name} is not generated in deploy/base/kustomization.yaml`);
      const files = Object.fromEntries(generated.files.map((f) => [path.basename(f), readFileSync(path.join(baseDir, f), 'utf8')]));
      stageFiles(dir, files, volume.configMap.defaultMode ?? 0o644, group);
      runFlags.push('--volume', `${dir}:${mount.mountPath}${ro}`);
    } else if (volume.secret) {
      const files = inputs.secretFiles[mount.mountPath];
      if (!files) throw new Error(`the test has no files for the Secret ${volume.secret.secretName} mounted at ${mount.mountPath}`);
      unusedSecretFiles.delete(mount.mountPath);
      stageFiles(dir, files, volume.secret.defaultMode ?? 0o644, group);
      runFlags.push('--volume', `${dir}:${mount.mountPath}${ro}`);
    } else {
      throw new Error(`volume ${mount.name}: the container test knows emptyDir, configMap and secret volumes only`);
    }
  }

  const [unmounted] = unusedSecretFiles;
  if (unmounted) throw new Error(`no Secret volume is mounted at ${unmounted}, where the config reads its key`);

  // Not in the Deployment (in the cluster it is the ServiceAccount token): the sandbox's kubeconfig.
  const kubeDir = path.join(stage, 'kubeconfig');
  stageFiles(kubeDir, { kubeconfig: readFileSync(inputs.kubeconfig, 'utf8') }, 0o440, group);
  runFlags.push('--volume', `${kubeDir}:/var/run/homelab-kubeconfig:ro`, '--env', 'KUBECONFIG=/var/run/homelab-kubeconfig/kubeconfig');
  runFlags.push('--network', 'host');

  const args = replaceFlag(replaceFlag(container.args ?? [], '--host', '127.0.0.1'), '--port', '0');
  return { runFlags, args, graceMs: (pod.terminationGracePeriodSeconds ?? 30) * 1000, memoryBytes, user: { uid, gid } };
}
