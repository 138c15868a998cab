/**
 * What assistants expect beyond tools (issue 11): prompts, resources, resource links from findings
 * to what explains them, and a choice of kubeconfig context; through the real SDK client, over
 * stdio and Streamable HTTP, against the sandbox.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { PolicyRule } from '@homelab/sandbox';
import dnsQuery from '../../src/ops/dns/dns-query.js';
import { httpClient, startHttpServer, stdioClient, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Content {
  type: string;
  text?: string;
  uri?: string;
  name?: string;
  mimeType?: string;
}
type Links = Array<Required<Pick<Content, 'uri' | 'name' | 'mimeType'>>>;

const linksOf = (content: unknown): Links => (content as Content[]).filter((c) => c.type === 'resource_link') as Links;
const textOf = (content: unknown): string => (content as Content[])[0]?.text ?? '';

async function readText(client: Client, uri: string): Promise<string> {
  const { contents } = await client.readResource({ uri });
  expect(contents).toHaveLength(1);
  return (contents[0] as { text: string }).text;
}

/** The JSON-RPC error a request failed with: its code, message and data. */
async function rpcError(request: Promise<unknown>): Promise<{ code: number; message: string; data?: unknown }> {
  try {
    await request;
  } catch (err) {
    return { code: (err as { code: number }).code, message: (err as Error).message, data: (err as { data?: unknown }).data };
  }
  throw new Error('the request succeeded');
}

describe('MCP prompts and resources over stdio', () => {
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

  it('declares prompts and resources and lists the five prompts, each naming the tools it uses', async () => {
    expect(mcp.client.getServerCapabilities()).toMatchObject({ prompts: {}, resources: {}, tools: {} });
    const { prompts } = await mcp.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['homelab_status', 'security_audit', 'backup_verification', 'service_down', 'media_missing']);
    const tools = new Set((await mcp.client.listTools()).tools.map((t) => t.name));
    for (const p of prompts) {
      const uses = /Uses (.*)\.$/.exec(p.description ?? '')?.[1] ?? '';
      const named = [...uses.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);
      expect(named.length, p.name).toBeGreaterThan(0);
      for (const t of named) expect(tools, `${p.name} uses ${t}`).toContain(t);
    }
    expect(prompts.find((p) => p.name === 'service_down')?.arguments).toEqual([expect.objectContaining({ name: 'service', required: true })]);
  });

  it('renders a prompt with its argument, and refuses a missing or multi-line one as invalid params', async () => {
    const { messages } = await mcp.client.getPrompt({ name: 'service_down', arguments: { service: 'jellyfin.lab' } });
    expect(messages).toHaveLength(1);
    expect(messages[0]?.role).toBe('user');
    const text = (messages[0]?.content as Content).text ?? '';
    expect(text).toContain('My service `jellyfin.lab` is down');
    expect(text).toContain('`dns_diagnose`');
    const missing = await rpcError(mcp.client.getPrompt({ name: 'service_down', arguments: {} }));
    expect(missing.code).toBe(-32602);
    expect(missing.message).toContain('service');
    expect((await rpcError(mcp.client.getPrompt({ name: 'service_down', arguments: { service: 'a\nb' } }))).message).toContain('one line');
    expect((await rpcError(mcp.client.getPrompt({ name: 'nope', arguments: {} }))).code).toBe(-32602);
  });

  it('lists the health report and the five runbooks, and serves each runbook as markdown', async () => {
    const { resources } = await mcp.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual([
      'homelab://health',
      'homelab://runbooks/certificate-expiring',
      'homelab://runbooks/exec-forbidden',
      'homelab://runbooks/helmrelease-stuck',
      'homelab://runbooks/jellyfin-hidden-item',
      'homelab://runbooks/pihole-rate-limit',
    ]);
    for (const r of resources.filter((r) => r.uri.includes('runbooks'))) {
      expect(r.mimeType).toBe('text/markdown');
      const text = await readText(mcp.client, r.uri);
      expect(text.startsWith(`# ${r.title}\n`), r.uri).toBe(true);
      expect(text).not.toContain('explains:');
    }
    const templates = (await mcp.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toContain('homelab://logs/{namespace}/{pod}{?container,previous,context}');
  });

  it('reads the latest health report: cluster_health run now', async () => {
    const report = JSON.parse(await readText(mcp.client, 'homelab://health')) as { verdict: string; findings: Array<{ reason: string }> };
    expect(report.verdict).toBe('crit');
    expect(report.findings.map((f) => f.reason)).toContain('CrashLoopBackOff');
  });

  it('links findings to what explains them, and every link resolves through resources/read', async () => {
    // Enough findings to reach the crash-looping pod (an assistant gets the three worst unless it asks).
    const result = await mcp.client.callTool({ name: 'cluster_health', arguments: { limit: 10 } });
    const links = linksOf(result.content);
    expect(links.length).toBeGreaterThan(0);
    expect(links.length).toBeLessThanOrEqual(4);
    const crashing = (result.structuredContent as { findings: Array<{ reason: string; namespace: string; name: string }> }).findings.find(
      (f) => f.reason === 'CrashLoopBackOff',
    );
    const logs = links.find((l) => l.uri.startsWith(`homelab://logs/${crashing?.namespace}/${crashing?.name}?`));
    expect(logs?.uri).toContain('previous=true');
    expect(await readText(mcp.client, logs?.uri ?? '')).toMatch(
      /^# previous instance of pod paperless\/paperless-ngx-[a-z0-9-]+, container paperless-ngx: last \d+ lines\n[\s\S]*OperationalError/,
    );
    const release = links.find((l) => l.uri === 'homelab://flux/helmrelease/immich/immich');
    const state = JSON.parse(await readText(mcp.client, release?.uri ?? '')) as {
      object: { reason: string };
      findings: Array<{ reason: string; message: string }>;
    };
    expect(state.object.reason).toBe('UpgradeFailed');
    expect(state.findings[0]?.message).toContain('last failure');
    expect(links.map((l) => l.uri)).toContain('homelab://runbooks/helmrelease-stuck');
    for (const l of links) expect((await mcp.client.readResource({ uri: l.uri })).contents[0]?.mimeType).toBe(l.mimeType);
  });

  it('answers a resource that is not there as the spec says (-32602, data { uri }) and says why', async () => {
    const pod = await rpcError(mcp.client.readResource({ uri: 'homelab://logs/media/no-such-pod' }));
    expect(pod).toMatchObject({ code: -32602, data: { uri: 'homelab://logs/media/no-such-pod' } });
    expect(pod.message).toContain('no pod named or starting with "no-such-pod" in namespace media');
    expect(await rpcError(mcp.client.readResource({ uri: 'homelab://runbooks/nope' }))).toMatchObject({
      code: -32602,
      data: { uri: 'homelab://runbooks/nope' },
    });
    expect((await rpcError(mcp.client.readResource({ uri: 'homelab://flux/helmrelease/immich/nope' }))).message).toContain('no HelmRelease immich/nope');
    expect(await rpcError(mcp.client.readResource({ uri: 'https://example.com/' }))).toMatchObject({ code: -32602, data: { uri: 'https://example.com/' } });
  });
});

describe('MCP prompts in read-only mode', () => {
  it('give the commands a person runs instead of the write tools the server hides', async () => {
    const s = await startSandboxEnv();
    const mcp = await stdioClient(s.env, ['--read-only']);
    try {
      const { messages } = await mcp.client.getPrompt({
        name: 'media_missing',
        arguments: { title: 'Better Off Ted', path: '/volume1/video/TV/Better Off Ted' },
      });
      const text = (messages[0]?.content as Content).text ?? '';
      expect(text).toContain("`homelab jellyfin fix 'Better Off Ted'`");
      expect(text).toContain("`homelab nas touch '/volume1/video/TV/Better Off Ted'`");
      expect(text).not.toContain('`jellyfin_fix`');
      const media = (await mcp.client.listPrompts()).prompts.find((p) => p.name === 'media_missing');
      expect(media?.description).not.toContain('jellyfin_fix');
    } finally {
      await mcp.close();
      await s.sandbox.stop();
    }
  });
});

describe('a failed call links the runbook that explains it', () => {
  it('a 403 on pods/exec links the exec runbook', async () => {
    const rbac: PolicyRule[] = dnsQuery.rbac.map((r) => ({
      apiGroups: [r.apiGroup],
      resources: [r.resource],
      verbs: r.resource === 'pods/exec' ? ['create'] : [...r.verbs],
    }));
    const s = await startSandboxEnv({ rbac });
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'dns_query', arguments: { name: 'example.com' } });
      expect(result.isError).toBe(true);
      expect(textOf(result.content)).toMatch(/^forbidden: needs `get` and `create` on pods\/exec/);
      expect(linksOf(result.content).map((l) => l.uri)).toEqual(['homelab://runbooks/exec-forbidden']);
      expect(await readText(mcp.client, 'homelab://runbooks/exec-forbidden')).toContain('kubectl auth can-i get pods/exec');
    } finally {
      await mcp.close();
      await s.sandbox.stop();
    }
  });
});

describe('MCP prompts and resources over Streamable HTTP', () => {
  let s: SandboxEnv;
  let server: HttpServerProcess;
  let client: Client;
  const key = 'prompts-and-resources-test-key';
  beforeAll(async () => {
    s = await startSandboxEnv();
    server = await startHttpServer({ ...s.env, HOMELAB_API_KEY: key });
    client = await httpClient(server.url, { 'X-API-Key': key });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await s?.sandbox.stop();
  });

  it('lists and renders prompts, and reads the links of a tool result, each request to a fresh server', async () => {
    expect((await client.listPrompts()).prompts).toHaveLength(5);
    const { messages } = await client.getPrompt({ name: 'backup_verification', arguments: { namespace: 'backups' } });
    expect((messages[0]?.content as Content).text).toContain('Verify my backups in namespace `backups`');
    const result = await client.callTool({ name: 'flux_status', arguments: { kind: 'hr' } });
    const links = linksOf(result.content);
    expect(links.map((l) => l.uri)).toEqual(['homelab://flux/helmrelease/immich/immich', 'homelab://runbooks/helmrelease-stuck']);
    for (const l of links) expect((await readText(client, l.uri)).length).toBeGreaterThan(100);
  });
});

describe('a kubeconfig with several contexts', () => {
  let home: SandboxEnv;
  let lab: SandboxEnv;
  let dir: string;
  let mcp: Awaited<ReturnType<typeof stdioClient>>;

  /** One kubeconfig, as a person with two clusters has: `home` (the pi-homelab) and `lab` (no Flux), lab the current one. */
  function mergedKubeconfig(): string {
    type One = { clusters: Array<{ cluster: unknown }>; users: Array<{ user: unknown }> };
    const read = (s: SandboxEnv) => parse(readFileSync(s.sandbox.kubeconfigPath, 'utf8')) as One;
    const [a, b] = [read(home), read(lab)];
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'home', cluster: a.clusters[0]?.cluster },
          { name: 'lab', cluster: b.clusters[0]?.cluster },
        ],
        users: [
          { name: 'home', user: a.users[0]?.user },
          { name: 'lab', user: b.users[0]?.user },
        ],
        contexts: [
          { name: 'home', context: { cluster: 'home', user: 'home' } },
          { name: 'lab', context: { cluster: 'lab', user: 'lab' } },
        ],
        'current-context': 'lab',
      }),
    );
    return file;
  }

  beforeAll(async () => {
    [home, lab] = await Promise.all([startSandboxEnv(), startSandboxEnv({ scenario: 'no-flux' })]);
    dir = mkdtempSync(join(tmpdir(), 'hl-contexts-'));
    // home's config without its kubernetes: section (which names home's own kubeconfig and context).
    const config = parse(readFileSync(home.sandbox.configPath, 'utf8')) as Record<string, unknown>;
    delete config.kubernetes;
    writeFileSync(join(dir, 'homelab.yaml'), stringify(config));
    mcp = await stdioClient({ KUBECONFIG: mergedKubeconfig(), HOMELAB_CONFIG: join(dir, 'homelab.yaml') });
  });
  afterAll(async () => {
    await mcp?.close();
    await Promise.all([home?.sandbox.stop(), lab?.sandbox.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers `context` on the tools that talk to the cluster, with the contexts and the default', async () => {
    const { tools } = await mcp.client.listTools();
    const props = (name: string) =>
      tools.find((t) => t.name === name)?.inputSchema.properties as Record<string, { enum?: string[]; description?: string }> | undefined;
    expect(props('cluster_health')?.context).toEqual({
      type: 'string',
      enum: ['home', 'lab'],
      description: 'Kubeconfig context to run against (default: lab)',
    });
    expect(props('flux_status')?.context?.enum).toEqual(['home', 'lab']);
    // A tool that does not talk to the cluster (Pi-hole's query log) takes no context.
    expect(props('dns_queries')).toBeDefined();
    expect(props('dns_queries')).not.toHaveProperty('context');
  });

  it('runs in the current context by default and in the one asked for', async () => {
    const inLab = await mcp.client.callTool({ name: 'flux_status', arguments: {} });
    expect(inLab.structuredContent).toMatchObject({ installed: false });
    const inHome = await mcp.client.callTool({ name: 'flux_status', arguments: { context: 'home' } });
    expect(inHome.structuredContent).toMatchObject({ installed: true });
    const named = await mcp.client.callTool({ name: 'flux_status', arguments: { context: 'lab' } });
    expect(named.structuredContent).toMatchObject({ installed: false });
  });

  it('gives links that read the cluster the call ran in', async () => {
    const result = await mcp.client.callTool({ name: 'cluster_health', arguments: { context: 'home', limit: 10 } });
    const logs = linksOf(result.content).find((l) => l.uri.startsWith('homelab://logs/paperless/'));
    expect(logs?.uri).toContain('context=home');
    expect(await readText(mcp.client, logs?.uri ?? '')).toContain('OperationalError');
    // Without the context the same pod is looked for in lab, where it does not exist.
    const inLab = await rpcError(mcp.client.readResource({ uri: (logs?.uri ?? '').replace(/&?context=home/, '') }));
    expect(inLab.code).toBe(-32602);
    expect(inLab.message).toContain('in namespace paperless');
  });

  it('refuses a context the kubeconfig lacks, and a context on a tool that does not use the cluster', async () => {
    const unknown = await mcp.client.callTool({ name: 'cluster_health', arguments: { context: 'office' } });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown.content)).toBe('context: the kubeconfig has no context named "office" (it has: home, lab)');
    const nas = await mcp.client.callTool({ name: 'nas_df', arguments: { context: 'home' } });
    expect(nas.isError).toBe(true);
    expect(textOf(nas.content)).toBe('context: nas_df does not talk to the cluster, so it takes no context');
  });
});
