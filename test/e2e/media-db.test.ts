import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, loadExecRuleFile, scenariosDir } from '@homelab/sandbox';
import { parseJellyfinId } from '../../src/core/ports/jellyfin.js';
import { LIBRARY_DB_10_10, LIBRARY_DB_10_11, parseRows, sqliteArgv } from '../../src/ops/media/library-db.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Fixed {
  outcome: 'refreshed' | 'ambiguous';
  lookedIn: string[];
  matches: Array<{ id: string; name: string; foundBy: string[] }>;
  refreshed?: { id: string; name: string; metadata: string; hasMetadata: boolean };
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;
const onJellyfinPod = { namespace: 'jellyfin', podPrefix: 'jellyfin-', container: 'jellyfin' };
/** What sqlite3 says for a database file that is not there (10.11 renamed library.db to library.db.old; 10.10 has no jellyfin.db). */
const noFile = (file: string) => ({
  ...onJellyfinPod,
  argvRegex: `^sqlite3 .*${file.replace(/\./g, '\\.')} `,
  stderr: `Error: unable to open database "${file}": unable to open database file\n`,
  exitCode: 1,
});

const FORBIDDEN = 'forbidden: needs `get` and `create` on pods/exec in namespace jellyfin (the exec upgrade needs both)';

describe('jellyfin fix: the library database through pod exec', () => {
  let v10: SandboxEnv;
  let v11: SandboxEnv;
  let limited: SandboxEnv;
  beforeAll(async () => {
    [v10, v11, limited] = await Promise.all([
      // Each flavour's wrong file cannot be opened: reading it would skip the DB and the tests below would see it.
      startSandboxEnv({ services: { jellyfinVersion: '10.10' }, exec: { rules: [noFile(LIBRARY_DB_10_11.file)] } }),
      startSandboxEnv({ services: { jellyfinVersion: '10.11' }, exec: { rules: [noFile(LIBRARY_DB_10_10.file)] } }),
      // Can list pods and create pods/exec, but not get it: the upgrade is refused.
      startSandboxEnv({
        services: { jellyfinVersion: '10.11' },
        rbac: [
          { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
        ],
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([v10, v11, limited].map((s) => s?.sandbox.stop()));
  });

  it("the scripted sqlite3 answers are the fake Jellyfin's never-refreshed items, with its ids, in both flavours", async () => {
    const rules = await loadExecRuleFile(path.join(scenariosDir(), 'exec', 'pi-homelab.yaml'));
    for (const [s, db] of [
      [v10, LIBRARY_DB_10_10],
      [v11, LIBRARY_DB_10_11],
    ] as const) {
      const fake = s.sandbox.services.jellyfin;
      if (!fake) throw new Error('no fake Jellyfin');
      const pod = s.sandbox.store.list('pods', 'jellyfin').find((p) => p.metadata.name?.startsWith('jellyfin-'));
      if (!pod) throw new Error('no Jellyfin pod');
      const a = answer(rules, { pod, container: 'jellyfin', argv: sqliteArgv(db) });
      if (a.kind !== 'rule') throw new Error(`no rule answers ${db.file}`);
      expect(a.rule.exitCode).toBe(0);
      const rows = parseRows(db, a.rule.stdout);
      const table = fake.database().tables[db.table] ?? [];
      const never = table.filter((r) => r.DateLastRefreshed === null && /\.(Series|Movie)$/.test(String(r.type ?? r.Type)));
      expect(fake.database().path).toBe(db.file);
      expect(rows.map((r) => r.raw).sort()).toEqual(never.map((r) => String(r.guid ?? r.Id)).sort());
      for (const row of rows) {
        const item = fake.items().find((i) => i.Id === row.id);
        expect(item, row.name).toMatchObject({ Name: row.name, Path: row.path, Type: row.type, DateLastRefreshed: null });
      }
      expect(rows.map((r) => r.name)).toEqual(['Better Off Ted', 'Fallout', 'Step Brothers']);
      expect(rows.every((r) => parseJellyfinId(r.id) === r.id)).toBe(true);
    }
  });

  it('10.10: finds the series in library.db (TypedBaseItems, .NET-order GUIDs) too, and refreshes it', async () => {
    const fake = v10.sandbox.services.jellyfin;
    const fallout = fake?.items().find((i) => i.Name === 'Fallout');
    expect(fake?.isHidden(fallout?.Id ?? '')).toBe(true);
    const r = await runCliProcess(['jellyfin', 'fix', 'Fallout', '--timeout', '10s', '--yes', '--json'], v10.env);
    expect(r.code, r.stderr).toBe(0);
    const out = json<Fixed>(r.stdout);
    expect(out.matches).toEqual([expect.objectContaining({ id: fallout?.Id, foundBy: ['missing-metadata', 'library-db'] })]);
    expect(out.lookedIn).toContainEqual(
      expect.stringContaining('the library database /config/data/library.db (TypedBaseItems, Jellyfin up to 10.10) in the Jellyfin pod jellyfin/jellyfin-'),
    );
    expect(out.lookedIn.join('\n')).not.toContain('skipped');
    expect(out.refreshed).toMatchObject({ id: fallout?.Id, name: 'Fallout', metadata: 'present', hasMetadata: true });
    expect(fake?.isHidden(fallout?.Id ?? '')).toBe(false);
    expect(r.stderr).not.toContain('warning');
  });

  it('10.11: reads jellyfin.db (BaseItems, TEXT ids) instead, and refreshes the match', async () => {
    const fake = v11.sandbox.services.jellyfin;
    const ted = fake?.items().find((i) => i.Name === 'Better Off Ted');
    const r = await runCli(['jellyfin', 'fix', 'better off ted', '--timeout', '10s', '--yes', '--json'], v11.env);
    expect(r.code, r.stderr).toBe(0);
    const out = json<Fixed>(r.stdout);
    expect(out.matches).toEqual([expect.objectContaining({ id: ted?.Id, foundBy: ['missing-metadata', 'library-db'] })]);
    expect(out.lookedIn).toContainEqual(expect.stringContaining('the library database /config/data/jellyfin.db (BaseItems, Jellyfin 10.11 and later)'));
    expect(out.refreshed).toMatchObject({ id: ted?.Id, metadata: 'present', hasMetadata: true });
    expect(fake?.isHidden(ted?.Id ?? '')).toBe(false);
  });

  it('without get on pods/exec: still fixes through the API, and says the database was skipped and why', async () => {
    const fake = limited.sandbox.services.jellyfin;
    const movie = fake?.items().find((i) => i.Name === 'Step Brothers');
    const [r, table] = await Promise.all([
      runCli(['jellyfin', 'fix', 'Step Brothers', '--timeout', '10s', '--yes', '--json'], limited.env),
      runCli(['jellyfin', 'fix', 'No Such Show Anywhere', '--yes'], limited.env),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = json<Fixed>(r.stdout);
    expect(out.matches).toEqual([expect.objectContaining({ id: movie?.Id, foundBy: ['missing-metadata'] })]);
    expect(out.lookedIn.find((l) => l.includes('skipped'))).toMatch(
      /^the library database \/config\/data\/jellyfin\.db .*\(skipped: forbidden: needs `get` and `create` on pods\/exec/,
    );
    expect(r.stderr).toContain(`warning: library-db lookup skipped: ${FORBIDDEN}`);
    expect(out.refreshed).toMatchObject({ id: movie?.Id, metadata: 'present' });

    expect(table.code).toBe(66);
    expect(table.stderr).toMatch(
      /looked in the API search .*items lacking metadata .*the library database \/config\/data\/jellyfin\.db .*\(skipped: forbidden/,
    );
    expect(table.stderr).toContain('the library database was not read');
  });
});
