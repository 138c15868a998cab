import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RESTARTABLE, configPath, loadConfig, parseConfig, resolveSecret } from '../../src/core/config.js';
import { UserError } from '../../src/core/errors.js';

describe('config', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hl-cfg-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('gives sensible defaults when there is no file', async () => {
    const dir = await tempDir();
    const { config, path } = await loadConfig({ env: { XDG_CONFIG_HOME: dir } });
    expect(path).toBeUndefined();
    expect(config.readOnly).toBe(false);
    expect(config.allow.restart).toEqual(DEFAULT_RESTARTABLE);
    expect(config.health.eventsSince).toBe('1h');
    expect(config.mcp.idleTimeout).toBe('10s');
  });

  it('looks at --config, then HOMELAB_CONFIG, then XDG_CONFIG_HOME', () => {
    expect(configPath({ flag: '/a.yaml', env: { HOMELAB_CONFIG: '/b.yaml' } }).path).toBe('/a.yaml');
    expect(configPath({ env: { HOMELAB_CONFIG: '/b.yaml', XDG_CONFIG_HOME: '/x' } }).path).toBe('/b.yaml');
    expect(configPath({ env: { XDG_CONFIG_HOME: '/x' } }).path).toBe('/x/homelab/config.yaml');
    expect(configPath({ env: { HOME: '/home/pi' } }).path).toBe('/home/pi/.config/homelab/config.yaml');
  });

  it('names the bad key in its message', () => {
    expect(() => parseConfig({ allow: { restart: ['jellyfin'] } })).toThrow(/allow\.restart\[0\]: must be NAMESPACE\/NAME/);
    expect(() => parseConfig({ readonly: true })).toThrow(/unknown key "readonly"/);
    expect(() => parseConfig({ health: { eventsSince: 'soon' } })).toThrow(/health\.eventsSince: must be a duration/);
    expect(() => parseConfig({ mcp: { idleTimeout: '0s' } })).toThrow(/mcp\.idleTimeout: must be a duration from 1s to 5m/);
  });

  it('refuses a named config file that does not exist, and bad YAML', async () => {
    await expect(loadConfig({ flag: '/nonexistent/homelab.yaml', env: {} })).rejects.toThrow(/cannot read config file \/nonexistent\/homelab.yaml/);
    const dir = await tempDir();
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'allow: [unclosed');
    await expect(loadConfig({ flag: file, env: {} })).rejects.toThrow(/not valid YAML/);
  });

  it('reads secrets from env or file without putting the value in errors', async () => {
    const dir = await tempDir();
    const file = join(dir, 'key');
    await writeFile(file, 's3cret-value\n');
    expect(await resolveSecret({ file }, {})).toBe('s3cret-value');
    expect(await resolveSecret({ env: 'K' }, { K: 'abc' })).toBe('abc');
    const err = await resolveSecret({ env: 'MISSING' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('MISSING');
  });
});
