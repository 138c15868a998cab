/**
 * homelab secrets through the doors: the tables and exit codes, confirmation, a refresh as the CLI
 * prints it (done, or failed with the provider's error), a discovery failure on stderr, and MCP
 * stdio. What secrets_status and secrets_refresh answer is tested in process in test/ops/secrets/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import type { EsObject, SecretsJson } from '../helpers/secrets.js';

describe('homelab secrets on the pi-homelab sandbox (External Secrets v1)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('prints the ExternalSecrets with refresh state and store as a table, exit by the verdict', async () => {
    const [table, json] = await Promise.all([runCliProcess(['secrets'], s.env), runCli(['secrets', '--json'], s.env)]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe({ ok: 0, warn: 1, crit: 2 }[(JSON.parse(json.stdout) as SecretsJson).verdict]);
    expect(table.stdout.split('\n')[0]).toMatch(/^(OK|WARN|CRIT) secrets: \d+ ExternalSecrets, \d+ stores \(external-secrets\.io\/v1\)/);
    expect(table.stdout).toMatch(/immich\s+immich-db\s+SecretSynced\s+\d+m ago\s+1h\s+ClusterSecretStore\/bitwarden/);
  });

  it('asks for --yes off a terminal (64), naming what it would do, and writes nothing', async () => {
    const allowed = await configWith(s.sandbox, 'allow', { allow: { secretsRefresh: ['paperless/*'] } });
    const unconfirmed = await runCli(['secrets', 'refresh', 'paperless/paperless-db', '--config', allowed], s.env);
    expect(unconfirmed.code).toBe(64);
    expect(unconfirmed.stderr).toContain(
      'refusing to change the cluster without confirmation: Force ExternalSecret paperless/paperless-db to fetch from its store now',
    );
    const es = s.sandbox.store.get('externalsecrets', 'paperless', 'paperless-db') as unknown as EsObject;
    expect(es.metadata.annotations?.['force-sync']).toBeUndefined();
  });

  it('says what a refresh did, from when to when', async () => {
    const allowed = await configWith(s.sandbox, 'allow-sync', { allow: { secretsRefresh: ['paperless/paperless-db'] } });
    const human = await runCli(['secrets', 'refresh', 'paperless/paperless-db', '--yes', '--timeout', '10s', '--config', allowed], s.env);
    expect(human.stderr).not.toContain('Error');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^refreshed ExternalSecret paperless\/paperless-db at \S+ \(was \S+\); Ready \(SecretSynced\)/);
  });
});

describe('homelab secrets on an older External Secrets (v1beta1 only)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'eso-v1beta1' });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('answers through MCP stdio with the version read and the failing ExternalSecret', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'secrets_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as SecretsJson;
      expect(out.version).toBe('v1beta1');
      expect(out.verdict).toBe('crit');
      const text = (result.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');
      expect(text).toContain('ExternalSecret apps/nextcloud-smtp SecretSyncedError');
    } finally {
      await mcp.close();
    }
  });

  it("prints a refresh that failed at the provider with the provider's error, exit 2", async () => {
    const allowed = await configWith(s.sandbox, 'allow', { allow: { secretsRefresh: ['apps/*'] } });
    const human = await runCli(['secrets', 'refresh', 'apps/nextcloud-smtp', '--yes', '--timeout', '2m', '--config', allowed], s.env);
    expect(human.code).toBe(2);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toBe(
      'CRIT ExternalSecret apps/nextcloud-smtp: the sync after force-sync failed: SecretSyncedError: could not get secret data from provider',
    );
    expect(lines[1]).toBe('Provider error:');
    expect(human.stdout).toContain('\n  \t* permission denied');
    expect(human.stderr).not.toContain('is the external-secrets controller running');
  });

  it('says on stderr that it cannot tell, exit 69, when discovery fails', async () => {
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const status = await runCli(['secrets'], s.env);
      expect(status.code).toBe(69);
      expect(status.stderr).toMatch(/^Error: cannot tell whether external-secrets\.io is installed: .* answered GET \/apis with 503/);
    } finally {
      remove();
    }
  });
});
