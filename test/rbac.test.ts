/**
 * Every op's declared `rbac` is complete: each runs against a sandbox that enforces exactly the
 * rules it declares, as the generated deploy grants them (exec only in its namespaces), and meets no 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/adapters/runtime.js';
import { isHomelabError } from '../src/core/errors.js';
import { DEFAULT_NAMESPACES } from '../src/core/config.js';
import type { AnyOp } from '../src/core/op.js';
import { runOp } from '../src/core/run-op.js';
import { ops } from '../src/ops/registry.js';
import type { PolicyRule } from '@homelab/sandbox';
import { configWith } from './helpers/config.js';
import { startConfiguredSandbox, type ConfiguredSandbox } from './helpers/sandbox.js';

/** An input for each op that makes it do its real work on pi-homelab (writes included). */
const INPUTS: Record<string, Record<string, unknown>> = {
  cluster_health: {},
  pods_logs: { pod: 'paperless-ngx', namespace: 'paperless', previous: true },
  deployment_restart: { deployment: 'homepage/homepage' },
  flux_status: {},
  flux_reconcile: { kind: 'kustomization', name: 'apps', withSource: true },
  flux_suspend: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' },
  flux_resume: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' },
  flux_heal: { name: 'immich', namespace: 'immich' },
  backups_status: {},
  backups_trigger: { cronJob: 'backups/immich-db-backup', wait: true },
  certs_status: {},
  secrets_status: {},
  secrets_refresh: { externalSecret: 'paperless/paperless-db' },
  ingress_status: {},
  tailscale_status: {},
  dns_status: {},
  dns_gravity_update: {},
  dns_queries: { blocked: true },
  dns_allowlist: {},
  dns_query: { name: 'nas.home.lan', server: 'unbound' },
  dns_diagnose: { name: 'dnssec-failed.org' },
  net_curl: { url: 'https://jellyfin.home.example.net/health', fromNode: 'pi-k3s' },
  net_ping: { target: '192.168.1.51', fromNode: 'pi-k3s' },
  net_traceroute: { target: '192.168.1.51' },
  media_status: {},
  jellyfin_scan: { wait: true, timeout: '1m' },
  jellyfin_fix: { title: 'Better Off Ted', timeout: '10s' },
  nas_touch: { path: '/volume1/media/new-episode.mkv' },
  nas_df: {},
  net_node: { node: 'pi5-worker-1' },
  net_iptables: { node: 'pi-k3s', table: 'nat', chain: 'KUBE-SERVICES' },
  net_conntrack: { node: 'pi-k3s', src: '10.42.0.0/16', limit: 2 },
  // view's resources: a Deployment with its owner chain and events, and a list
  k8s_get: { kind: 'deploy', namespace: 'media', output: 'json' },
  k8s_describe: { kind: 'pod', name: 'paperless-postgres-0', namespace: 'paperless' },
  storage_status: {},
  workloads_status: {},
  uptime_status: { ingresses: true },
  authentik_status: {},
  rancher_status: {},
  postgres_status: {},
  postgres_tables: {},
  postgres_query: { sql: 'SELECT username, last_login FROM authentik_core_user ORDER BY last_login DESC NULLS LAST LIMIT 5' },
  arr_status: {},
  arr_missing: { app: 'sonarr' },
  arr_retry: { app: 'sonarr', id: '1001' },
  arr_search: { app: 'radarr', id: 1 },
  // The paperless chain: DNS, Ingress and TLS, Service, a crashing pod's logs and events, its owner, ExternalSecrets, Flux.
  why: { target: 'docs.home.example.net' },
  doctor: {},
};

/**
 * Ops that need a service the sandbox cannot give here (the NAS is a real sshd in its own test):
 * they may fail for that reason, but never with a 403 from the cluster.
 */
const NEEDS_UNAVAILABLE_SERVICE = new Set(['nas_touch']);

/** The op's rules as deploy/base/rbac.yaml grants them: cluster-wide, or by Roles in the namespaces they name. */
function rulesOf(op: AnyOp): PolicyRule[] {
  return op.rbac.map((r) => ({
    apiGroups: [r.apiGroup],
    resources: [r.resource],
    verbs: [...r.verbs],
    ...(r.inNamespacesOf?.length ? { namespaces: r.inNamespacesOf.map((setting) => DEFAULT_NAMESPACES[setting]) } : {}),
  }));
}

const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };

describe('declared RBAC is enough for every op', () => {
  // One sandbox, back to the scenario's start before each op and authorizing exactly that op's rules.
  let sandbox: ConfiguredSandbox;
  let configFile: string;
  beforeAll(async () => {
    sandbox = await startConfiguredSandbox({ delays: { flux: 20, job: 20, externalSecret: 20 } });
    configFile = await configWith(sandbox, 'allow-all', {
      allow: { restart: ['*/*'], flux: ['*/*'], secretsRefresh: ['*/*'], backupsTrigger: ['*/*'], arr: ['*/*'] },
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('has an input for every op in the registry', () => {
    expect(Object.keys(INPUTS).sort()).toEqual(ops.map((op) => op.name).sort());
  });

  it('gives no op any verb on Secrets (the deploy promises no access to Secret values)', () => {
    const onSecrets = ops.flatMap((op) =>
      op.rbac.filter((r) => r.apiGroup === '' && r.resource.split('/')[0] === 'secrets').map((r) => `${op.name}: ${r.verbs.join(',')} ${r.resource}`),
    );
    expect(onSecrets).toEqual([]);
  });

  it('the sandbox refuses what the rules leave out (so a pass below means something)', async () => {
    sandbox.reset();
    sandbox.authorize([{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]);
    const runtime = await createRuntime({ configFile, env: {}, log: quiet, pollIntervalMs: 20 });
    try {
      const result = await runOp(ops.find((op) => op.name === 'certs_status') as AnyOp, {}, { context: runtime.context, via: 'test' }).catch(
        (err: unknown) => err,
      );
      expect(JSON.stringify(result)).toMatch(/forbidden/i);
    } finally {
      await runtime.close();
    }
  });

  for (const op of ops) {
    it(`${op.name} runs with exactly its declared rules`, async () => {
      sandbox.reset();
      sandbox.authorize(rulesOf(op));
      // The controllers answer in 20 ms; the waits ask every 20 ms rather than sleep out the product's 0.5-1 s.
      const runtime = await createRuntime({ configFile, env: {}, log: quiet, pollIntervalMs: 20 });
      try {
        const result = await runOp(op, INPUTS[op.name], { context: runtime.context, via: 'test' }).catch((err: unknown) => err);
        if (isHomelabError(result) && (result.kind === 'Forbidden' || !NEEDS_UNAVAILABLE_SERVICE.has(op.name))) {
          expect.fail(`${op.name} failed: ${result.kind}: ${result.message}`);
        }
        // A check that could not run (e.g. a 403 inside health) is reported in the output, not thrown.
        expect(JSON.stringify(result)).not.toMatch(/forbidden|CheckFailed/i);
      } finally {
        await runtime.close();
      }
    });
  }
});
