/**
 * homelab nas through the doors, against a real OpenSSH server: what the CLI prints and its exit
 * codes, argv reaching the op literally, and both tools over MCP stdio on one SSH connection with the
 * whole injection corpus. What the ops answer is tested in process in test/ops/nas/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess, type CliResult } from '../helpers/cli.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { literalNames, refusedPaths, startNasFixture, symlinkRefusals, type DfOut, type NasConfig, type NasFixture } from '../helpers/nas.js';
import { sshdUnavailable } from '../helpers/sshd.js';

const unavailable = sshdUnavailable();

describe.skipIf(unavailable)(`homelab nas against a real OpenSSH server${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let f: NasFixture;
  beforeAll(async () => {
    f = await startNasFixture();
  });
  afterAll(async () => {
    await f?.stop();
  });

  /** `homelab nas VERB --config FILE ARGS…` (the flag before ARGS, which may hold `--`); in a process of its own with runCliProcess. */
  const cli = (config: NasConfig, args: string[], run: (argv: string[], env: Record<string, string>) => Promise<CliResult> = runCli) =>
    run([...args.slice(0, 2), '--config', f.configPath(config), ...args.slice(2)], f.env);

  it('touches a folder and says so; asks for --yes off a terminal', async () => {
    const show = join(f.root, 'TV', 'Show');
    const [dir, unconfirmed] = await Promise.all([
      cli('good', ['nas', 'touch', show, '--yes'], runCliProcess),
      // An existing path: one that is not there is refused by the plan (66) before anyone is asked.
      cli('good', ['nas', 'touch', show]),
    ]);
    expect(dir.code, dir.stderr).toBe(0);
    expect(dir.stdout).toContain(`touched ${show} on the NAS`);
    expect(unconfirmed.code).toBe(64);
    expect(unconfirmed.stderr).toContain('pass --yes');
  });

  it('passes argv to the op as it is: an odd name after -- is touched literally, a -rf path is refused (64)', async () => {
    const name = `$(touch ${f.marker})`;
    const [odd, rf] = await Promise.all([
      cli('good', ['nas', 'touch', '--create', '--yes', '--json', '--', `${f.root}/${name}`]),
      cli('good', ['nas', 'touch', '--create', '--yes', '--', '-rf']),
    ]);
    expect(odd.code, odd.stderr).toBe(0);
    expect((JSON.parse(odd.stdout) as { path: string }).path).toBe(`${f.root}/${name}`);
    expect(existsSync(join(f.root, name))).toBe(true);
    expect(rf.code, rf.stderr).toBe(64);
    expect(rf.stderr).toContain('is not absolute');
    expect(f.markerFound()).toEqual([]);
  });

  it('names the path it touched and the one asked for, when a link inside the root led there', async () => {
    const human = await cli('good', ['nas', 'touch', `${f.root}/alias/Show`, '--yes']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`touched ${join(f.root, 'TV', 'Show')} on the NAS`);
    expect(human.stdout).toContain(`asked: ${f.root}/alias/Show`);
  });

  it('prints disk use as a table, with the verdict as exit code', async () => {
    const [human, json] = await Promise.all([cli('good', ['nas', 'df']), cli('good', ['nas', 'df', '--json'])]);
    const { verdict } = JSON.parse(json.stdout) as DfOut;
    expect(human.code).toBe({ ok: 0, warn: 1, crit: 2 }[verdict]);
    expect(json.code).toBe(human.code);
    expect(human.stdout).toMatch(/VOLUME.*SIZE.*USED.*AVAILABLE/);
    expect(human.stdout).toContain(f.sshd.homeDir);
  });

  it('serves both ops over MCP stdio on one connection, the whole injection corpus (symbolic links too) included', async () => {
    const mcp = await stdioClient(f.target('good').env);
    try {
      // Concurrent calls: one SSH connection, many channels.
      const literal = literalNames(f.marker);
      const touched = await Promise.all(literal.map((name) => callConfirmed(mcp.client, 'nas_touch', { path: `${f.root}/mcp ${name}`, create: true })));
      literal.forEach((name, i) => {
        const r = touched[i];
        const path = `${f.root}/mcp ${name}`;
        expect(r?.isError, `${name}: ${JSON.stringify(r?.content)}`).toBeFalsy();
        expect(r?.structuredContent).toMatchObject({ path, created: true });
        expect(existsSync(path), name).toBe(true);
      });
      const refused = refusedPaths(f);
      const refusals = await Promise.all(refused.map(([path]) => mcp.client.callTool({ name: 'nas_touch', arguments: { path, create: true } })));
      refused.forEach(([path, message], i) => {
        expect(refusals[i]?.isError, JSON.stringify(path)).toBe(true);
        expect(JSON.stringify(refusals[i]?.content)).toContain(JSON.stringify(message).slice(1, -1));
      });
      const before = await f.outsideState();
      const symlinks = symlinkRefusals(f);
      const links = await Promise.all(symlinks.map(([path]) => mcp.client.callTool({ name: 'nas_touch', arguments: { path, create: true } })));
      symlinks.forEach(([path, , message], i) => {
        expect(links[i]?.isError, path).toBe(true);
        expect(JSON.stringify(links[i]?.content)).toContain(JSON.stringify(message).slice(1, -1));
      });
      expect(await f.outsideState()).toEqual(before);
      const df = await mcp.client.callTool({ name: 'nas_df', arguments: {} });
      expect(df.isError).toBeFalsy();
      expect((df.structuredContent as unknown as DfOut).volumes[0]).toMatchObject({ volume: f.sshd.homeDir, ok: true });
    } finally {
      await mcp.close();
    }
    expect(existsSync(join(f.evil, 'x'))).toBe(false);
    expect(f.markerFound()).toEqual([]);
  });
});
