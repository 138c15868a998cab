import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWithout } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

/** The issue 14 services: a homelab without them should not pay for their tools on every conversation. */
const SERVICE_TOOLS = [
  'authentik_status',
  'rancher_status',
  'postgres_status',
  'postgres_tables',
  'postgres_query',
  'arr_status',
  'arr_missing',
  'arr_retry',
  'arr_search',
];

async function listing(env: Record<string, string>): Promise<{ names: string[]; bytes: number }> {
  const mcp = await stdioClient(env);
  try {
    const { tools } = await mcp.client.listTools();
    return { names: tools.map((t) => t.name), bytes: Buffer.byteLength(JSON.stringify({ tools })) };
  } finally {
    await mcp.close();
  }
}

describe('tools/list follows the config: a service it does not name has no tools listed', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('lists the service tools when the config names the services, and leaves them out when it does not', async () => {
    const all = await listing(s.env);
    expect(all.names).toEqual(expect.arrayContaining([...SERVICE_TOOLS, 'jellyfin_fix', 'media_status']));
    // The sandbox has no NAS: its tools are not listed.
    expect(all.names).not.toContain('nas_df');

    const without = [
      'services.authentik',
      'services.rancher',
      'services.postgres',
      'services.sonarr',
      'services.radarr',
      'services.prowlarr',
      'services.bazarr',
      'services.sabnzbd',
      'services.qbittorrent',
      'services.jellyfin',
      'services.immich',
    ];
    const config = await configWithout(s.sandbox, 'no-services', without);
    const fewer = await listing({ ...s.env, HOMELAB_CONFIG: config });
    for (const name of [...SERVICE_TOOLS, 'jellyfin_fix', 'jellyfin_scan', 'media_status', 'nas_df', 'nas_touch'])
      expect(fewer.names, name).not.toContain(name);
    // The cluster's tools and Pi-hole's (still configured) stay.
    expect(fewer.names).toEqual(
      expect.arrayContaining(['cluster_health', 'why', 'doctor', 'k8s_get', 'uptime_status', 'dns_status', 'dns_queries', 'dns_gravity_update']),
    );
    expect(fewer.bytes).toBeLessThan(all.bytes);
  });

  it('still answers a call to a tool it does not list, saying what the config lacks', async () => {
    const config = await configWithout(s.sandbox, 'no-rancher', ['services.rancher']);
    const mcp = await stdioClient({ ...s.env, HOMELAB_CONFIG: config });
    try {
      const result = (await mcp.client.callTool({ name: 'rancher_status', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(/Rancher is not configured/);
    } finally {
      await mcp.close();
    }
  });
});
