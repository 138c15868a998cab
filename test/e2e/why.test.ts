import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { callOp } from '../helpers/ops.js';
import { startConfiguredSandbox, startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';
import { DEFAULT_NAMESPACES } from '../../src/core/config.js';
import whyOp from '../../src/ops/why/why.js';

interface Link {
  kind: string;
  namespace?: string;
  name: string;
  state: string;
  detail: string;
  explainedBy?: string;
  evidence?: string[];
  fix?: { tool: string; input: Record<string, unknown>; command: string };
}
interface WhyJson {
  target: string;
  resolved: { kind: string; namespace?: string; name: string };
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  firstBroken?: number;
  links: Link[];
}
type ToolResult = { isError?: boolean; structuredContent?: unknown; content: Array<{ type: string; text: string }> };

const EXIT = { ok: 0, warn: 1, crit: 2 } as const;
/** The MCP door's budget for one result: its text and its structuredContent as sent. */
const BUDGET = 8 * 1024;

const label = (l: Pick<Link, 'kind' | 'namespace' | 'name'>) => `${l.kind} ${l.namespace ? `${l.namespace}/` : ''}${l.name}`;
const firstOf = (w: WhyJson) => (w.firstBroken === undefined ? undefined : w.links[w.firstBroken]);
const resultBytes = (r: ToolResult) => Buffer.byteLength(r.content.map((c) => c.text).join('')) + Buffer.byteLength(JSON.stringify(r.structuredContent));

interface Case {
  what: string;
  target: string;
  verdict: 'warn' | 'crit';
  broken: string;
  detail: RegExp;
  evidence: RegExp[];
  /** Broken links above it that it explains (each says so). */
  behind: string[];
  /** Links before it that are fine: the surface that looks fine. */
  fine: string[];
  fix?: string;
}

/** The deep-causes scenario: one app per cause several layers down (packages/sandbox/scenarios/deep-causes.yaml). */
const CASES: Case[] = [
  {
    what: 'a Service whose selector matches no pod after a label change',
    target: 'wiki.home.example.net',
    verdict: 'crit',
    broken: 'Service wiki/wiki',
    detail: /its selector app\.kubernetes\.io\/name=wiki,app\.kubernetes\.io\/instance=wiki matches no pod in wiki/,
    evidence: [/^selector: app\.kubernetes\.io\/name=wiki/, /^Deployment wiki labels its pods app\.kubernetes\.io\/name=wiki-server/],
    behind: ['Ingress wiki/wiki'],
    fine: ['DNS wiki.home.example.net', 'Certificate wiki/wiki-tls'],
  },
  {
    what: 'a healthy Deployment whose HelmRelease is stuck on an older chart',
    target: 'recipes',
    verdict: 'crit',
    broken: 'HelmRelease recipes/recipes',
    detail:
      /^RetriesExhausted: stuck, helm-controller gave up: Failed to upgrade after 4 attempt\(s\); last failure: Helm upgrade failed for release recipes\/recipes with chart app-template@2\.0\.0: context deadline exceeded/,
    evidence: [/^runs chart 1\.4\.2 \(release 5\): the last release deployed$/, /^chart 2\.0\.0 \(release 6\): failed$/],
    behind: [],
    fine: ['Ingress recipes/recipes', 'Service recipes/recipes', 'Deployment recipes/recipes'],
    fix: 'homelab flux heal recipes -n recipes',
  },
  {
    what: 'a pod that crash-loops because its ExternalSecret cannot sync',
    target: 'books.home.example.net',
    verdict: 'crit',
    broken: 'ExternalSecret bookstack/bookstack-db',
    detail: /^SecretSyncedError: could not get secret data from provider$/,
    evidence: [
      /^Ready=False \(SecretSyncedError\)/,
      /^event: error processing spec\.data\[0\] \(key: bookstack\/db\), err: cannot find secret data for key: "bookstack\/db"$/,
    ],
    behind: ['Ingress bookstack/bookstack', 'Service bookstack/bookstack', 'Deployment bookstack/bookstack'],
    fine: ['DNS books.home.example.net', 'ClusterSecretStore vault-backend'],
  },
  {
    what: 'a certificate whose ACME HTTP-01 challenge fails',
    target: 'notes.home.example.net',
    verdict: 'crit',
    broken: 'Challenge notes/notes-tls-1-2780115325-1914296237',
    detail:
      /^invalid: HTTP-01 for notes\.home\.example\.net: Error accepting authorization: .*Invalid response from http:\/\/notes\.home\.example\.net\/\.well-known\/acme-challenge\/\S+: 404$/,
    evidence: [],
    behind: ['Certificate notes/notes-tls', 'CertificateRequest notes/notes-tls-1', 'Order notes/notes-tls-1-2780115325'],
    fine: ['Ingress notes/notes', 'Service notes/notes', 'Deployment notes/notes'],
  },
  {
    what: 'a name Pi-hole blocks',
    target: 'https://analytics.home.example.net/share/home',
    verdict: 'warn',
    broken: 'DNS analytics.home.example.net',
    detail: /^fails at pihole: Pi-hole blocks analytics\.home\.example\.net \(answers 0\.0\.0\.0\)/,
    evidence: [/^Pi-hole in its own pod \(127\.0\.0\.1\): NOERROR: 0\.0\.0\.0 \(EDE 15 \(Blocked\)/],
    behind: [],
    fine: ['Ingress analytics/analytics', 'Service analytics/umami', 'Deployment analytics/umami'],
    fix: 'homelab dns diagnose analytics.home.example.net',
  },
  {
    what: 'a PVC Pending because its storage class does not exist',
    target: 'photoprism',
    verdict: 'crit',
    broken: 'PersistentVolumeClaim photoprism/photoprism-originals',
    detail: /^Pending: its storage class fast-ssd does not exist$/,
    evidence: [/^StorageClass fast-ssd: not found$/, /^event: storageclass\.storage\.k8s\.io "fast-ssd" not found$/],
    behind: ['Service photoprism/photoprism', 'Deployment photoprism/photoprism'],
    fine: ['Kustomization flux-system/apps-photoprism'],
  },
];

function expectCase(c: Case, out: WhyJson): void {
  const first = firstOf(out);
  expect(out.verdict, c.what).toBe(c.verdict);
  expect(first && label(first), c.what).toBe(c.broken);
  expect(first?.detail, c.what).toMatch(c.detail);
  expect(first?.explainedBy, c.what).toBeUndefined();
  for (const e of c.evidence) expect(first?.evidence ?? [], c.what).toEqual(expect.arrayContaining([expect.stringMatching(e)]));
  if (c.fix) expect(first?.fix?.command, c.what).toBe(c.fix);
  const byLabel = new Map(out.links.map((l) => [label(l), l]));
  for (const b of c.behind) {
    expect(['warn', 'crit'], `${c.what}: ${b}`).toContain(byLabel.get(b)?.state);
    expect(byLabel.get(b)?.explainedBy, `${c.what}: ${b}`).toBeTruthy();
  }
  for (const f of c.fine) expect(byLabel.get(f)?.state, `${c.what}: ${f}`).toBe('ok');
  expect(out.summary, c.what).toContain(`first broken link: ${c.broken}`);
}

describe('homelab why on the deep-causes sandbox: the cause several layers down', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'deep-causes' });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  // What why answers for each case, in process; the CLI's --json, exit code and stderr for one of them below.
  for (const c of CASES) {
    it(c.what, async () => {
      const { output, summary, log } = await callOp<WhyJson>(s, 'why', { target: c.target });
      expect(log.filter((line) => line.startsWith('warn:'))).toEqual([]);
      expect(summary?.verdict).toBe(c.verdict);
      expectCase(c, output);
    });
  }

  it('CLI: the same answer with --json, nothing on stderr, and the exit code of its verdict', async () => {
    const c = CASES.find((x) => x.verdict === 'warn') as Case;
    const r = await runCli(['why', c.target, '--json'], s.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT[c.verdict]);
    expectCase(c, JSON.parse(r.stdout) as WhyJson);
  });

  it('MCP: the same first broken link and evidence for each, each answer within the 8 KB budget', async () => {
    const mcp = await stdioClient(s.env);
    try {
      for (const c of CASES) {
        const result = (await mcp.client.callTool({ name: 'why', arguments: { target: c.target } })) as ToolResult;
        expect(result.isError, c.what).not.toBe(true);
        expect(result.content[0]?.text, c.what).toMatch(new RegExp(`^${c.verdict.toUpperCase()}: first broken link: `));
        expectCase(c, result.structuredContent as WhyJson);
        expect(resultBytes(result), c.what).toBeLessThanOrEqual(BUDGET);
      }
    } finally {
      await mcp.close();
    }
  });

  it('shows a person the chain, marks the first broken link, its evidence and the fixes', async () => {
    const r = await runCliProcess(['why', 'books.home.example.net'], s.env);
    expect(r.code).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^CRIT first broken link: ExternalSecret bookstack\/bookstack-db: SecretSyncedError/);
    expect(lines.find((l) => l.startsWith('→'))).toMatch(/→\s+crit\s+ExternalSecret bookstack\/bookstack-db\s+SecretSyncedError/);
    expect(lines.find((l) => /^\s+crit\s+Pod bookstack\//.test(l))).toMatch(
      /\(because of ExternalSecret bookstack\/bookstack-db\) not ready; CrashLoopBackOff/,
    );
    expect(r.stdout).toContain(
      'Evidence (ExternalSecret bookstack/bookstack-db):\n  Ready=False (SecretSyncedError): could not get secret data from provider\n  event: error processing spec.data[0]',
    );
    expect(r.stdout).toMatch(/To fix or look closer:\n {2}homelab logs bookstack-\S+ -n bookstack -c bookstack --previous/);
  });

  it('says why the pod above it crashes: the last lines it logged, and its event', async () => {
    const out = JSON.parse((await runCli(['why', 'deploy/bookstack', '-n', 'bookstack', '--json'], s.env)).stdout) as WhyJson;
    expect(out.resolved).toEqual({ kind: 'Deployment', namespace: 'bookstack', name: 'bookstack' });
    const pod = out.links.find((l) => l.kind === 'Pod');
    expect(pod?.detail).toMatch(/CrashLoopBackOff: container bookstack keeps crashing \(38 restarts; last exit 1 Error\)/);
    expect(pod?.evidence).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^event: Back-off restarting failed container bookstack in pod bookstack-/),
        "last log (previous): SQLSTATE[HY000] [1045] Access denied for user 'bookstack'@'10.42.1.23' (using password: YES)",
      ]),
    );
    expect(pod?.explainedBy).toBe('ExternalSecret bookstack/bookstack-db');
    expect(label(firstOf(out) as Link)).toBe('ExternalSecret bookstack/bookstack-db');
  });

  it('says so when nothing is broken, and what it checked', async () => {
    const r = await runCli(['why', 'whoami.home.example.net', '--json'], s.env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as WhyJson;
    expect(out.firstBroken).toBeUndefined();
    expect(out.links.every((l) => l.state === 'ok')).toBe(true);
    expect(out.links.map(label)).toEqual([
      'DNS whoami.home.example.net',
      'Ingress whoami/whoami',
      'Certificate whoami/whoami-tls',
      'Service whoami/whoami',
      expect.stringMatching(/^Pod whoami\/whoami-/),
      'Deployment whoami/whoami',
      'Kustomization flux-system/apps-whoami',
      'GitRepository flux-system/flux-system',
      'Kustomization flux-system/flux-system',
    ]);
    expect(out.summary).toBe('nothing broken: 9 links checked (DNS, Ingress, Certificate, Service, Pod, Deployment, Kustomization, GitRepository)');
  });

  it('runs every fix it suggests exactly as printed: a read answers, a write stops at the confirmation', async () => {
    const fixes = new Map<string, Link['fix']>();
    for (const c of CASES) {
      const { output } = await callOp<WhyJson>(s, 'why', { target: c.target });
      for (const l of output.links) if (l.fix) fixes.set(l.fix.command, l.fix);
    }
    expect([...fixes.values()].map((f) => f?.tool)).toEqual(expect.arrayContaining(['flux_heal', 'pods_logs', 'dns_diagnose', 'certs_status']));
    for (const f of fixes.values()) {
      const argv = shellWords(f?.command ?? '');
      const r = await runCli(argv.slice(1), s.env);
      if (f?.tool === 'flux_heal') {
        // A write: without --yes it shows what it would do, or refuses without a terminal to ask on.
        if (r.code === 0) expect(r.stdout, f.command).toMatch(/dry run/i);
        else expect(r.stderr, f.command).toContain('refusing to change the cluster without confirmation');
      } else {
        expect([0, 1, 2], `${f?.command}: ${r.stderr}`).toContain(r.code);
      }
    }
  });
});

describe('homelab why on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('follows jellyfin.home.example.net all the way down and finds nothing broken (its PVC Bound)', async () => {
    const r = await runCli(['why', 'jellyfin.home.example.net', '--json'], s.env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as WhyJson;
    expect(out.resolved).toEqual({ kind: 'Host', name: 'jellyfin.home.example.net' });
    expect(out.links.find((l) => l.kind === 'PersistentVolumeClaim')).toMatchObject({
      namespace: 'jellyfin',
      name: 'jellyfin-config',
      state: 'ok',
      detail: 'Bound, 10Gi, storage class local-path',
    });
    expect(out.links.find((l) => l.kind === 'DNS')).toMatchObject({ state: 'ok', detail: expect.stringMatching(/^Pi-hole answers NOERROR: 192\.168\.1\.50/) });
  });

  it('starts at the HelmRelease: it, its chart and repository, the Kustomization that applied it, then what it installed', async () => {
    const r = await runCli(['why', 'hr/immich', '-n', 'immich', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as WhyJson;
    expect(out.links.slice(0, 5).map(label)).toEqual([
      'HelmRelease immich/immich',
      'HelmChart flux-system/immich-immich',
      'HelmRepository flux-system/immich',
      'Kustomization flux-system/apps-immich',
      'GitRepository flux-system/flux-system',
    ]);
    expect(out.firstBroken).toBe(0);
    expect(out.links.map(label)).toEqual(expect.arrayContaining(['Deployment immich/immich-server', 'Deployment immich/immich-machine-learning']));
    expect(out.links[0]?.evidence).toEqual(['runs chart 0.8.6 (release 22): the last release deployed', 'chart 0.9.3 (release 23): failed']);
  });

  it('lists the candidates of an ambiguous name, each with the command that picks it (exit 64), and each runs', async () => {
    const r = await runCli(['why', 'paperless'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('"paperless" matches 2 different things; say which one');
    const commands = r.stderr
      .split('\n')
      .map((l) => l.replace(/^Hint: /, ''))
      .filter((l) => l.startsWith('homelab why'))
      .map((l) => l.split('   #')[0] as string);
    expect(commands).toEqual(['homelab why ing/paperless-ngx -n paperless', 'homelab why svc/paperless-postgres -n paperless']);
    for (const command of commands) {
      const run = await runCli([...shellWords(command).slice(1), '--json'], s.env);
      expect([0, 1, 2], `${command}: ${run.stderr}`).toContain(run.code);
      expect((JSON.parse(run.stdout) as WhyJson).resolved.namespace).toBe('paperless');
    }
  });

  it('says what it looked for when nothing has the name (exit 66), and which targets it takes when one cannot be read (exit 64)', async () => {
    const missing = await runCli(['why', 'nextcloud'], s.env);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain('nothing named nextcloud in any namespace');
    const bad = await runCli(['why', 'secret/pihole-admin'], s.env);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/TARGET.*"secret" is not a kind why follows/);
  });

  it('never reads a part it could not see as ok: without list on Certificates the TLS link is unknown and the verdict warn', async () => {
    const rules = whyOp.rbac
      .filter((r) => !(r.apiGroup === 'cert-manager.io' && r.resource === 'certificates'))
      .map((r) => ({
        apiGroups: [r.apiGroup],
        resources: [r.resource],
        verbs: [...r.verbs],
        ...(r.inNamespacesOf?.length ? { namespaces: r.inNamespacesOf.map((n) => DEFAULT_NAMESPACES[n]) } : {}),
      }));
    const limited = await startConfiguredSandbox({ rbac: rules });
    try {
      const r = await runCli(['why', 'jellyfin.home.example.net', '--json'], { KUBECONFIG: limited.kubeconfigPath, HOMELAB_CONFIG: limited.configPath });
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as WhyJson;
      expect(out.verdict).toBe('warn');
      const unknown = out.links.filter((l) => l.state === 'unknown');
      expect(unknown.map((l) => l.detail).join('\n')).toMatch(/forbidden: needs `list` on certificates\.cert-manager\.io/);
      expect(out.summary).toMatch(/^nothing found broken in \d+ links, but some could not be checked; could not check /);
    } finally {
      await limited.stop();
    }
  });
});
