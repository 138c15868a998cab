import type { KubePort } from '../../core/ports/kube.js';

/**
 * The version of an API group to use: the server's preferred one if we know how to read it, else
 * the first we know that it serves. undefined means the group is not installed (or only in
 * versions we cannot read): say so, never 404.
 */
export async function pickVersion(kube: KubePort, group: string, known: readonly string[]): Promise<string | undefined> {
  const served = await kube.servedVersions(group);
  return served.find((v) => known.includes(v));
}

/** "installed (v1)", "installed (v1beta1, an older release)", "not installed" — for output and notes. */
export function describeServed(group: string, version: string | undefined, known: readonly string[]): string {
  if (!version) return `${group} is not installed`;
  return version === known[0] ? `${group}/${version}` : `${group}/${version} (an older release)`;
}
