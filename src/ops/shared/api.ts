import type { KubePort } from '../../core/ports/kube.js';

/**
 * The version of an API group to use: the server's preferred one if we know how to read it, else
 * the first we know that it serves. undefined means the group is not installed (or only in
 * versions we cannot read): say so, never 404. Throws when discovery fails: that is not "not
 * installed" (read it through Reads.discover to make it a finding instead).
 */
export async function pickVersion(kube: KubePort, group: string, known: readonly string[]): Promise<string | undefined> {
  const served = await kube.servedVersions(group);
  return served.find((v) => known.includes(v));
}
