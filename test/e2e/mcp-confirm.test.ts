/**
 * Writes a person confirms, through the real SDK client over stdio and Streamable HTTP: a write
 * answers with its plan and a token and changes nothing; the token applies that plan once; a token
 * for other arguments, another tool, another caller, from another key, expired, or after the object
 * moved is refused; a client that shows forms is asked instead (accept, decline, cancel, no answer);
 * progress notifications arrive while a write waits; mcp.confirmWrites false applies at once.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { callConfirmed, httpClient, startHttpServer, stdioClient, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { configWith } from '../helpers/config.js';

interface TextContent {
  type: string;
  text: string;
}
interface PlanResult {
  plan: {
    summary: string;
    changes: Array<{ action: string; body?: unknown }>;
    effects: string[];
    observed: Array<{ object: string; resourceVersion: string }>;
  };
  confirmation: { token: string; expiresAt: string };
}
interface Restarted {
  namespace: string;
  name: string;
  restartedAt: string;
  waited: boolean;
  rollout: { state: string; message: string };
}
interface StoredDeployment {
  metadata: { resourceVersion: string; labels?: Record<string, string> };
  spec: { template: { metadata?: { annotations?: Record<string, string> } } };
}

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const text = (result: Record<string, unknown>) => (result.content as TextContent[] | undefined)?.[0]?.text ?? '';

function deploymentOf(s: SandboxEnv, ref: string): StoredDeployment {
  const [namespace, name] = ref.split('/') as [string, string];
  return s.sandbox.store.get('deployments', namespace, name) as unknown as StoredDeployment;
}
const restartedAt = (s: SandboxEnv, ref: string) => deploymentOf(s, ref).spec.template.metadata?.annotations?.[RESTARTED_AT];

/** Someone else edits the deployment (a label), as kubectl would: its resourceVersion moves. */
function touchDeployment(s: SandboxEnv, ref: string): void {
  const d = deploymentOf(s, ref) as unknown as { metadata: Record<string, unknown> & { labels?: Record<string, string> } };
  s.sandbox.store.put({ ...(d as object), metadata: { ...d.metadata, labels: { ...d.metadata.labels, 'edited-by': 'someone-else' } } } as never);
}

async function plan(client: Client, name: string, args: Record<string, unknown>): Promise<PlanResult> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, text(result)).toBeFalsy();
  return result.structuredContent as unknown as PlanResult;
}

describe('MCP over stdio: a write answers with its plan, and its token applies it', () => {
  let s: SandboxEnv;
  let mcp: Awaited<ReturnType<typeof stdioClient>>;
  beforeAll(async () => {
    s = await startSandboxEnv();
    mcp = await stdioClient(s.env);
  });
  afterAll(async () => {
    await mcp?.close();
    await s?.sandbox.stop();
  });

  it('without a token changes nothing: the plan names the patch, the pods that roll and the version it saw', async () => {
    const before = s.sandbox.store.resourceVersion;
    const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage' } });
    expect(result.isError).toBeFalsy();
    const { plan: p, confirmation } = result.structuredContent as unknown as PlanResult;
    expect(p.summary).toBe('restart deployment homepage/homepage');
    expect(p.changes).toEqual([
      {
        action: 'patch Deployment homepage/homepage (strategic merge)',
        body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: expect.any(String) } } } } },
      },
    ]);
    const pods = s.sandbox.store.list('pods', 'homepage').map((pod) => pod.metadata.name ?? '');
    expect(pods.length).toBeGreaterThan(0);
    expect(p.effects[0]).toContain(pods[0]);
    expect(p.observed).toEqual([{ object: 'Deployment homepage/homepage', resourceVersion: deploymentOf(s, 'homepage/homepage').metadata.resourceVersion }]);
    expect(confirmation.token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(Date.parse(confirmation.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(text(result)).toMatch(/^Plan: restart deployment homepage\/homepage\nChanges:\n/);
    expect(text(result)).toContain(`"confirmationToken": "${confirmation.token}"`);
    // Nothing was written anywhere in the cluster.
    expect(s.sandbox.store.resourceVersion).toBe(before);
    expect(restartedAt(s, 'homepage/homepage')).toBeUndefined();
  });

  it('the token applies the plan once, waits for the rollout and says so; the same token again is refused', async () => {
    const { confirmation } = await plan(mcp.client, 'deployment_restart', { deployment: 'homepage/homepage' });
    const applied = await mcp.client.callTool({
      name: 'deployment_restart',
      arguments: { deployment: 'homepage/homepage', confirmationToken: confirmation.token },
    });
    expect(applied.isError, text(applied)).toBeFalsy();
    const out = applied.structuredContent as unknown as Restarted;
    expect(out).toMatchObject({
      namespace: 'homepage',
      name: 'homepage',
      waited: true,
      rollout: { state: 'complete', message: 'deployment "homepage" successfully rolled out' },
    });
    expect(restartedAt(s, 'homepage/homepage')).toBe(out.restartedAt);
    expect(text(applied)).toMatch(/^OK: deployment homepage\/homepage restarted at .*; rolled out/);

    const again = await mcp.client.callTool({
      name: 'deployment_restart',
      arguments: { deployment: 'homepage/homepage', confirmationToken: confirmation.token },
    });
    expect(again.isError).toBe(true);
    expect(text(again)).toContain('this confirmation token was already used: nothing was changed');
    expect(text(again)).toContain('call deployment_restart again without confirmationToken for a new plan');
    expect(restartedAt(s, 'homepage/homepage')).toBe(out.restartedAt);
  });

  it('refuses a token for other arguments or another tool, and changes nothing', async () => {
    const { confirmation } = await plan(mcp.client, 'deployment_restart', { deployment: 'pihole/unbound' });
    const other = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'pihole/pihole', confirmationToken: confirmation.token } });
    expect(other.isError).toBe(true);
    expect(text(other)).toContain('this confirmation token is for other arguments of deployment_restart: nothing was changed');
    expect(restartedAt(s, 'pihole/pihole')).toBeUndefined();
    // Waiting for the rollout is an argument too: a plan made to wait is not one that returns at once.
    const noWait = await mcp.client.callTool({
      name: 'deployment_restart',
      arguments: { deployment: 'pihole/unbound', wait: false, confirmationToken: confirmation.token },
    });
    expect(text(noWait)).toContain('for other arguments');
    const suspend = await mcp.client.callTool({
      name: 'flux_suspend',
      arguments: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', confirmationToken: confirmation.token },
    });
    expect(suspend.isError).toBe(true);
    expect(text(suspend)).toContain('this confirmation token is for deployment_restart, not flux_suspend');
    expect(
      (s.sandbox.store.get('helmreleases.helm.toolkit.fluxcd.io', 'jellyfin', 'jellyfin') as unknown as { spec: { suspend?: boolean } }).spec.suspend,
    ).not.toBe(true);
    // The arguments as given or with their defaults spelled out are the same arguments.
    const spelled = await mcp.client.callTool({
      name: 'deployment_restart',
      arguments: { deployment: 'pihole/unbound', wait: true, timeout: '5m', confirmationToken: confirmation.token },
    });
    expect(spelled.isError, text(spelled)).toBeFalsy();
    expect(restartedAt(s, 'pihole/unbound')).toBeTruthy();
  });

  it('refuses a token when the deployment changed since the plan, names the change, and changes nothing', async () => {
    const { confirmation, plan: p } = await plan(mcp.client, 'deployment_restart', { deployment: 'jellyfin/jellyfin' });
    touchDeployment(s, 'jellyfin/jellyfin');
    const now = deploymentOf(s, 'jellyfin/jellyfin').metadata.resourceVersion;
    const result = await mcp.client.callTool({
      name: 'deployment_restart',
      arguments: { deployment: 'jellyfin/jellyfin', confirmationToken: confirmation.token },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain(
      `Deployment jellyfin/jellyfin changed since the plan (resourceVersion ${p.observed[0]?.resourceVersion}, now ${now}): nothing was changed; plan again`,
    );
    expect(restartedAt(s, 'jellyfin/jellyfin')).toBeUndefined();
  });

  it('records the plan, the confirmation and the apply, each with the caller', async () => {
    // Over stdio the audit lines go to stderr, between the log's text lines: the JSON ones are the records.
    const audit = () =>
      mcp
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const records = audit().filter((r) => r.op === 'deployment_restart');
    expect(records).toContainEqual(
      expect.objectContaining({
        phase: 'plan',
        outcome: 'ok',
        caller: 'stdio',
        plan: { summary: 'restart deployment homepage/homepage', changes: ['patch Deployment homepage/homepage (strategic merge)'] },
      }),
    );
    expect(records).toContainEqual(expect.objectContaining({ phase: 'confirmation', outcome: 'ok', confirmation: 'pending', caller: 'stdio' }));
    expect(records).toContainEqual(expect.objectContaining({ phase: 'confirmation', outcome: 'ok', confirmation: 'accepted', caller: 'stdio' }));
    expect(records).toContainEqual(expect.objectContaining({ phase: 'apply', outcome: 'ok', caller: 'stdio', result: expect.stringContaining('rolled out') }));
    expect(records).toContainEqual(expect.objectContaining({ phase: 'confirmation', outcome: 'refused', confirmation: 'reused' }));
    expect(records).toContainEqual(expect.objectContaining({ phase: 'confirmation', outcome: 'refused', confirmation: 'mismatch' }));
    expect(records).toContainEqual(expect.objectContaining({ phase: 'confirmation', outcome: 'refused', confirmation: 'changed' }));
  });

  it('checks read-only mode and the allow-list before planning: no plan, no token', async () => {
    const denied = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'kube-system/coredns' } });
    expect(denied.isError).toBe(true);
    expect(denied.structuredContent).toBeUndefined();
    expect(text(denied)).toContain('kube-system/coredns is not in the allow-list for restart');
  });

  it('a write with no version to bind (Pi-hole gravity) is single-use by the process record of its tokens', async () => {
    const gravityRuns = () => s.sandbox.services.pihole?.requests.filter((q) => q.path === '/api/action/gravity').length;
    const { confirmation, plan: p } = await plan(mcp.client, 'dns_gravity_update', {});
    expect(p.changes[0]?.action).toMatch(/^POST \/api\/action\/gravity on Pi-hole at http/);
    expect(p.observed).toEqual([]);
    expect(gravityRuns()).toBe(0);
    const applied = await mcp.client.callTool({ name: 'dns_gravity_update', arguments: { confirmationToken: confirmation.token } });
    expect(applied.isError, text(applied)).toBeFalsy();
    expect(gravityRuns()).toBe(1);
    const again = await mcp.client.callTool({ name: 'dns_gravity_update', arguments: { confirmationToken: confirmation.token } });
    expect(text(again)).toContain('already used');
    expect(gravityRuns()).toBe(1);
  });

  it('a plan that changes nothing applies without a token (flux_suspend of a suspended release)', async () => {
    const suspended = await callConfirmed(mcp.client, 'flux_suspend', { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' });
    expect(suspended.structuredContent).toMatchObject({ wasSuspended: false });
    const again = await mcp.client.callTool({ name: 'flux_suspend', arguments: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' } });
    expect(again.structuredContent).toMatchObject({ suspended: true, wasSuspended: true });
    await callConfirmed(mcp.client, 'flux_resume', { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', wait: false });
  });

  it('sends progress notifications while it waits, when the client asked for them', async () => {
    const { confirmation } = await plan(mcp.client, 'deployment_restart', { deployment: 'uptime-kuma/uptime-kuma' });
    const notes: Array<{ progress: number; message?: string }> = [];
    const applied = await mcp.client.callTool(
      { name: 'deployment_restart', arguments: { deployment: 'uptime-kuma/uptime-kuma', confirmationToken: confirmation.token } },
      undefined,
      { onprogress: (p) => notes.push(p) },
    );
    expect(applied.isError, text(applied)).toBeFalsy();
    expect(notes.map((n) => n.message)).toEqual(
      expect.arrayContaining(['► restarting deployment uptime-kuma/uptime-kuma', '◎ waiting for the rollout of deployment uptime-kuma/uptime-kuma']),
    );
    expect(notes.map((n) => n.progress)).toEqual(notes.map((_, i) => i + 1));
  });
});

describe('MCP over stdio with a client that shows forms (elicitation)', () => {
  let s: SandboxEnv;
  let mcp: Awaited<ReturnType<typeof stdioClient>>;
  /** What the person answers to the next form; a function that throws is a form that could not be shown. */
  let answer: () => ElicitResult;
  const asked: string[] = [];
  beforeAll(async () => {
    s = await startSandboxEnv();
    mcp = await stdioClient(s.env, [], { elicitation: { form: {} } });
    mcp.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return answer();
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await s?.sandbox.stop();
  });

  it('asks the person with the plan, and applies it in the same call when they accept', async () => {
    answer = () => ({ action: 'accept', content: { apply: true } });
    const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage' } });
    expect(result.isError, text(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ name: 'homepage', waited: true, rollout: { state: 'complete' } });
    expect(asked.at(-1)).toMatch(/^Plan: restart deployment homepage\/homepage\nChanges:\n {2}1\. patch Deployment homepage\/homepage \(strategic merge\)\n/);
    expect(asked.at(-1)).toMatch(/Apply this change\?$/);
    expect(restartedAt(s, 'homepage/homepage')).toBeTruthy();
  });

  it.each([
    ['declines', (): ElicitResult => ({ action: 'decline' }), 'the person declined the plan: nothing was changed'],
    [
      'accepts the form but says no',
      (): ElicitResult => ({ action: 'accept', content: { apply: false } }),
      'the person declined the plan: nothing was changed',
    ],
    ['dismisses the form', (): ElicitResult => ({ action: 'cancel' }), 'the person dismissed the confirmation: nothing was changed'],
    [
      'cannot show the form',
      (): ElicitResult => {
        throw new Error('no UI for forms here');
      },
      'the confirmation form got no answer',
    ],
  ])('changes nothing when the person %s, and the tool result says so', async (_what, reply, message) => {
    answer = reply;
    const before = s.sandbox.store.resourceVersion;
    const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'pihole/unbound' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain(message);
    expect(restartedAt(s, 'pihole/unbound')).toBeUndefined();
    expect(s.sandbox.store.resourceVersion).toBe(before);
  });

  it('refuses when the deployment changed while the person read the plan', async () => {
    answer = () => {
      touchDeployment(s, 'jellyfin/jellyfin');
      return { action: 'accept', content: { apply: true } };
    };
    const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'jellyfin/jellyfin' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Deployment jellyfin\/jellyfin changed since the plan \(resourceVersion \d+, now \d+\); nothing was changed/);
    expect(restartedAt(s, 'jellyfin/jellyfin')).toBeUndefined();
  });
});

describe('MCP over stdio: which clients are asked in a form', () => {
  it('asks a client that declares elicitation as the 2025-06-18 specification did ({}), and not a client that only opens URLs', async () => {
    const s = await startSandboxEnv();
    const [legacy, urlOnly] = await Promise.all([stdioClient(s.env, [], { elicitation: {} }), stdioClient(s.env, [], { elicitation: { url: {} } })]);
    try {
      const asked: string[] = [];
      legacy.client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'decline' };
      });
      const declined = await legacy.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage' } });
      expect(text(declined)).toContain('the person declined the plan: nothing was changed');
      expect(asked).toHaveLength(1);
      const planned = await urlOnly.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage' } });
      expect(planned.isError, text(planned)).toBeFalsy();
      expect((planned.structuredContent as unknown as PlanResult).confirmation.token).toBeTruthy();
      expect(restartedAt(s, 'homepage/homepage')).toBeUndefined();
    } finally {
      await Promise.all([legacy.close(), urlOnly.close()]);
      await s.sandbox.stop();
    }
  });
});

describe('MCP with mcp.confirmWrites false (unattended automation)', () => {
  it('applies a write at once, and still refuses what the allow-list refuses', async () => {
    const s = await startSandboxEnv();
    try {
      const config = await configWith(s.sandbox, 'unattended', { mcp: { confirmWrites: false } });
      const mcp = await stdioClient({ ...s.env, HOMELAB_CONFIG: config });
      try {
        const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage', wait: false } });
        expect(result.isError, text(result)).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ name: 'homepage', waited: false });
        expect(restartedAt(s, 'homepage/homepage')).toBeTruthy();
        const denied = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'kube-system/coredns' } });
        expect(text(denied)).toContain('not in the allow-list for restart');
        expect(mcp.stderr()).toContain('"confirmation":"preconfirmed"');
      } finally {
        await mcp.close();
      }
    } finally {
      await s.sandbox.stop();
    }
  });
});

describe('MCP over Streamable HTTP: tokens verify on any replica that shares the key', () => {
  const key = 'test-key-0123456789abcdef';
  let s: SandboxEnv;
  let a: HttpServerProcess;
  let b: HttpServerProcess;
  let lone: HttpServerProcess;
  let shared: string;
  const clients: Client[] = [];
  const connect = async (server: HttpServerProcess) => {
    const client = await httpClient(server.url, { 'X-API-Key': key });
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    s = await startSandboxEnv();
    const keyFile = join(s.sandbox.dir, 'confirmation.key');
    await writeFile(keyFile, 'a-long-random-confirmation-key-shared-by-replicas\n', { mode: 0o600 });
    shared = await configWith(s.sandbox, 'replicas', { mcp: { confirmationKey: { file: keyFile } } });
    [a, b, lone] = await Promise.all([
      startHttpServer({ ...s.env, HOMELAB_CONFIG: shared, HOMELAB_API_KEY: key }),
      startHttpServer({ ...s.env, HOMELAB_CONFIG: shared, HOMELAB_API_KEY: key }),
      startHttpServer({ ...s.env, HOMELAB_API_KEY: key }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([a?.stop(), b?.stop(), lone?.stop()]);
    await s?.sandbox.stop();
  });

  it('without a token changes nothing; the token applies the plan on another replica, and only once', async () => {
    const [onA, onB] = await Promise.all([connect(a), connect(b)]);
    const before = s.sandbox.store.resourceVersion;
    const { confirmation } = await plan(onA, 'deployment_restart', { deployment: 'homepage/homepage' });
    expect(s.sandbox.store.resourceVersion).toBe(before);
    expect(restartedAt(s, 'homepage/homepage')).toBeUndefined();
    const applied = await onB.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage', confirmationToken: confirmation.token } });
    expect(applied.isError, text(applied)).toBeFalsy();
    expect(applied.structuredContent).toMatchObject({ rollout: { state: 'complete' } });
    const done = restartedAt(s, 'homepage/homepage');
    expect(done).toBeTruthy();
    // Replica A never saw it used: the write itself moved the version the token is bound to.
    const again = await onA.callTool({ name: 'deployment_restart', arguments: { deployment: 'homepage/homepage', confirmationToken: confirmation.token } });
    expect(again.isError).toBe(true);
    expect(text(again)).toContain('Deployment homepage/homepage changed since the plan');
    expect(restartedAt(s, 'homepage/homepage')).toBe(done);
  });

  it('refuses a token signed with another key (a replica without mcp.confirmationKey)', async () => {
    const [onA, onLone] = await Promise.all([connect(a), connect(lone)]);
    const { confirmation } = await plan(onLone, 'deployment_restart', { deployment: 'pihole/unbound' });
    const result = await onA.callTool({ name: 'deployment_restart', arguments: { deployment: 'pihole/unbound', confirmationToken: confirmation.token } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('this confirmation token was not issued by this server (or was altered): nothing was changed');
    expect(text(result)).toContain('mcp.confirmationKey');
    expect(restartedAt(s, 'pihole/unbound')).toBeUndefined();
    // Altered by one character: the signature no longer matches.
    const [body, mac] = confirmation.token.split('.') as [string, string];
    const altered = `${body}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    const tampered = await onLone.callTool({ name: 'deployment_restart', arguments: { deployment: 'pihole/unbound', confirmationToken: altered } });
    expect(text(tampered)).toContain('was not issued by this server (or was altered)');
  });

  it('refuses a token issued to another caller (stdio, same key) over HTTP', async () => {
    const stdio = await stdioClient({ ...s.env, HOMELAB_CONFIG: shared });
    try {
      const { confirmation } = await plan(stdio.client, 'deployment_restart', { deployment: 'pihole/pihole' });
      const onA = await connect(a);
      const result = await onA.callTool({ name: 'deployment_restart', arguments: { deployment: 'pihole/pihole', confirmationToken: confirmation.token } });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('this confirmation token was issued to another caller: nothing was changed');
      expect(restartedAt(s, 'pihole/pihole')).toBeUndefined();
      // Its own caller may still use it.
      const own = await stdio.client.callTool({
        name: 'deployment_restart',
        arguments: { deployment: 'pihole/pihole', confirmationToken: confirmation.token },
      });
      expect(own.isError, text(own)).toBeFalsy();
    } finally {
      await stdio.close();
    }
  });

  it('sends progress notifications over HTTP when the client asked for them', async () => {
    const onA = await connect(a);
    const { confirmation } = await plan(onA, 'deployment_restart', { deployment: 'uptime-kuma/uptime-kuma' });
    const notes: string[] = [];
    const applied = await onA.callTool(
      { name: 'deployment_restart', arguments: { deployment: 'uptime-kuma/uptime-kuma', confirmationToken: confirmation.token } },
      undefined,
      { onprogress: (p) => notes.push(p.message ?? '') },
    );
    expect(applied.isError, text(applied)).toBeFalsy();
    expect(notes).toEqual(
      expect.arrayContaining(['► restarting deployment uptime-kuma/uptime-kuma', '◎ waiting for the rollout of deployment uptime-kuma/uptime-kuma']),
    );
  });
});
