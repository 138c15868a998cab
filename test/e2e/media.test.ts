/**
 * homelab media and jellyfin through the doors: the table and its exit code, the commands printed for
 * candidates run as printed, the parser's refusals (TITLE, --id), confirmation and read-only on the
 * CLI, and the tools over MCP stdio. What the ops answer is tested in process in test/ops/media/.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { jellyfinOf, jellyfinItem, type Fixed, type Media } from '../helpers/media.js';
import { stdioClient } from '../helpers/mcp.js';
import { callOp } from '../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe('homelab media and jellyfin (10.10)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ services: { jellyfinVersion: '10.10' } });
  });
  // The tests read the fake's request log and its items' state from the scenario's start.
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const jf = () => jellyfinOf(s.sandbox);
  const item = (name: string) => jellyfinItem(s.sandbox, name);

  it('prints Jellyfin and Immich with the failed scheduled task, and exits with the verdict', async () => {
    const [table, { output: out }] = await Promise.all([runCli(['media'], s.env), callOp<Media>(s, 'media_status')]);
    expect(table.code).toBe(out.verdict === 'crit' ? 2 : 1);
    expect(table.stdout).toMatch(/^(WARN|CRIT) Jellyfin 10\.10\.\d+: /);
    expect(table.stdout).toContain(`Immich ${out.immich.version}`);
    expect(table.stdout).toMatch(/ScheduledTask\s+.*Task(Failed|Aborted)/);
  });

  it('lists the titles that only contain the one asked for with the command for each, which runs as printed', async () => {
    const posts = () => jf().requests.filter((q) => q.method === 'POST');
    const before = posts().length;
    const table = await runCliProcess(['jellyfin', 'fix', 'The', '--yes'], s.env);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('No item has exactly that title');
    expect(table.stdout).toContain('nothing was refreshed');
    expect(posts().length).toBe(before);

    // The command printed for a candidate runs exactly as printed: off a terminal it stops at the
    // confirmation (a person confirms a write); a script adds --yes, and that item alone is refreshed.
    const printed = table.stdout
      .split('\n')
      .map((l) => /^\s+(homelab jellyfin fix --id \S+)\s+# Movie "The Big Lebowski"/.exec(l)?.[1])
      .find(Boolean);
    expect(printed).toBeDefined();
    const [bin, ...args] = (printed as string).split(' ');
    expect(bin).toBe('homelab');
    const asPrinted = await runCli(args, s.env);
    expect(asPrinted.code).toBe(64);
    expect(asPrinted.stderr).toContain('refusing to change the cluster without confirmation');
    const ran = await runCli([...args, '--yes', '--json'], s.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(json<Fixed>(ran.stdout).refreshed).toMatchObject({ id: item('The Big Lebowski').Id, name: 'The Big Lebowski' });
    expect(posts().slice(before)).toEqual([{ method: 'POST', path: `/Items/${item('The Big Lebowski').Id}/Refresh` }]);
  });

  it('refuses a title that is an option or has no letters or digits (64, naming TITLE), and so does MCP, before any request', async () => {
    const before = jf().requests.length;
    const [dash, dots, mcp] = await Promise.all([
      runCli(['jellyfin', 'fix', '--yes', '--', '-h'], s.env),
      runCli(['jellyfin', 'fix', '...', '--yes'], s.env),
      (async () => {
        const client = await stdioClient(s.env);
        try {
          return await client.client.callTool({ name: 'jellyfin_fix', arguments: { title: '-h' } });
        } finally {
          await client.close();
        }
      })(),
    ]);
    expect(dash.code).toBe(64);
    expect(dash.stderr).toContain('TITLE: looks like an option, not a title; to act on an item whose title starts with "-", pass its --id');
    expect(dots.code).toBe(64);
    expect(dots.stderr).toContain('TITLE: has no letters or digits: it would match every title');
    expect(mcp.isError).toBe(true);
    expect(JSON.stringify(mcp.content)).toContain('looks like an option, not a title');
    expect(jf().requests.length).toBe(before);
  });

  it('refuses an id that is not a GUID (64, naming --id) before any request is made', async () => {
    const before = jf().requests.length;
    const r = await runCli(['jellyfin', 'fix', '--id', '../System/Shutdown', '--yes'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--id: must be a Jellyfin item id: a GUID of 32 hex digits');
    expect(jf().requests.length).toBe(before);
  });

  it('refuses writes without --yes off a terminal (64) and in read-only mode (77)', async () => {
    const readOnly = await configWith(s.sandbox, 'read-only', { readOnly: true });
    const [noYes, ro] = await Promise.all([
      runCli(['jellyfin', 'scan'], s.env),
      runCli(['jellyfin', 'fix', 'Better Off Ted', '--yes', '--config', readOnly], s.env),
    ]);
    expect(noYes.code).toBe(64);
    expect(noYes.stderr).toContain('pass --yes');
    expect(ro.code).toBe(77);
    expect(ro.stderr).toContain('read-only');
  });

  it('answers over MCP stdio', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'media_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as unknown as Media).jellyfin.configured).toBe(true);
      const bad = await mcp.client.callTool({ name: 'jellyfin_fix', arguments: { id: '../System/Shutdown' } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain('must be a Jellyfin item id');
    } finally {
      await mcp.close();
    }
  });
});
