// `homelab --help` (and bare `homelab`) without oclif: oclif's start-up (its config, plugins and ~100
// files) was most of the time of the one page people read first. The page is rendered from
// oclif.manifest.json and package.json with the very modules oclif formats it with (resolved from
// @oclif/core's own location), following @oclif/core 4's Help.showRootHelp step by step;
// test/cli-surface.test.ts compares it byte for byte with oclif's. Whenever something oclif could
// print differently is in play (a theme, plugins, hooks run first, templates, aliases, WSL, Windows),
// `rootHelp` returns undefined and bin/run.js lets oclif answer.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { release } from 'node:os';
import path from 'node:path';
import { format } from 'node:util';

interface Topic {
  name: string;
  description?: string;
  hidden?: boolean;
}
interface ManifestCommand {
  id: string;
  summary?: string;
  description?: string;
  hidden?: boolean;
  aliases?: string[];
  hiddenAliases?: string[];
  state?: string;
}
interface PackageJson {
  name: string;
  version: string;
  description?: string;
  oclif: {
    bin?: string;
    dirname?: string;
    description?: string;
    commands?: unknown;
    topicSeparator?: string;
    additionalHelpFlags?: string[];
    topics?: Record<string, { description?: string; hidden?: boolean; subtopics?: unknown }>;
    hooks?: Record<string, unknown>;
    [other: string]: unknown;
  };
}
type Row = [left: string, right: string | undefined];

/** The formatting modules of oclif's help, loaded from where @oclif/core loads them. */
interface Formatting {
  bold(text: string): string;
  strip(text: string): string;
  colors: boolean;
  wrapAnsi(text: string, columns: number, options: { hard: boolean }): string;
  stringWidth(text: string): number;
  widestLine(text: string): number;
  indentString(text: string, count: number): string;
}

function loadFormatting(): Formatting {
  const require = createRequire(import.meta.resolve('@oclif/core'));
  const ansis = require('ansis') as { bold(text: string): string; strip(text: string): string };
  const supportsColor = require('supports-color') as { stdout: unknown; stderr: unknown };
  return {
    bold: (text) => ansis.bold(text),
    strip: (text) => ansis.strip(text),
    // oclif's ux/supports-color: colour only when both streams take it.
    colors: Boolean(supportsColor.stdout) && Boolean(supportsColor.stderr),
    wrapAnsi: require('wrap-ansi') as Formatting['wrapAnsi'],
    stringWidth: require('string-width') as Formatting['stringWidth'],
    widestLine: require('widest-line') as Formatting['widestLine'],
    indentString: require('indent-string') as Formatting['indentString'],
  };
}

/** oclif's screen.stdtermwidth. */
function terminalWidth(env: NodeJS.ProcessEnv, stdout: NodeJS.WriteStream): number {
  const columns = Number.parseInt(env.OCLIF_COLUMNS ?? '', 10);
  if (columns) return columns;
  if (!stdout.isTTY) return 80;
  const width = stdout.getWindowSize()[0] ?? 0;
  return width < 1 ? 80 : Math.max(width, 40);
}

/** What `homelab --version` prints: oclif's Config.userAgent (undefined on WSL, which oclif names "wsl"). */
export function oclifUserAgent(pkg: { name: string; version: string }): string | undefined {
  if (release().toLowerCase().includes('microsoft')) return undefined;
  return `${pkg.name}/${pkg.version} ${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch} node-${process.version}`;
}

/** oclif's help for argv, when argv asks for the root help and nothing else; otherwise undefined. */
export function rootHelp(argv: string[], root: URL, env: NodeJS.ProcessEnv = process.env, stdout: NodeJS.WriteStream = process.stdout): string | undefined {
  if (process.platform === 'win32') return undefined;
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as PackageJson;
  const oclif = pkg.oclif;
  const helpFlags = ['--help', ...(oclif.additionalHelpFlags ?? [])];
  if (!(argv.length === 0 || (argv.length === 1 && helpFlags.includes(argv[0] ?? '')))) return undefined;
  // Anything that changes oclif's answer or runs code before it: leave it to oclif.
  const oclifOnly = ['plugins', 'jitPlugins', 'devPlugins', 'helpClass', 'helpOptions', 'state', 'theme', 'flexibleTaxonomy', 'binAliases'];
  if (oclifOnly.some((key) => oclif[key] !== undefined) || typeof oclif.commands !== 'string') return undefined;
  if (oclif.hooks?.init !== undefined || oclif.hooks?.finally !== undefined) return undefined;
  const userAgent = oclifUserAgent(pkg);
  const bin = oclif.bin ?? pkg.name;
  const scoped = (key: string) => env[`${bin.replaceAll('@', '').replaceAll(/[/-]/g, '_')}_${key}`.toUpperCase()];
  if (!userAgent || !env.HOME) return undefined;
  // A theme of the user's own (oclif's Config.loadTheme) colours the page: oclif renders it.
  const configDir = scoped('CONFIG_DIR') || path.join(env.XDG_CONFIG_HOME || path.join(env.HOME, '.config'), oclif.dirname ?? pkg.name);
  if (!['1', 'true'].includes(scoped('DISABLE_THEME') ?? '') && existsSync(path.join(configDir, 'theme.json'))) return undefined;

  let manifest: { version: string; commands: Record<string, ManifestCommand> };
  try {
    manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8')) as typeof manifest;
  } catch {
    return undefined; // no manifest: oclif finds the commands itself
  }
  if (manifest.version.split('-')[0] !== pkg.version.split('-')[0]) return undefined;
  const commands = Object.values(manifest.commands);
  if (commands.some((c) => c.aliases?.length || c.hiddenAliases?.length)) return undefined;
  const pjsonTopics = Object.entries(oclif.topics ?? {});
  if (pjsonTopics.some(([, t]) => t.subtopics !== undefined)) return undefined;
  // oclif renders every text through EJS; plain text renders as itself.
  const texts = [bin, pkg.description, oclif.description, ...pjsonTopics.map(([, t]) => t.description), ...commands.flatMap((c) => [c.summary, c.description])];
  if (texts.some((t) => t?.includes('<%'))) return undefined;

  const f = loadFormatting();
  const maxWidth = terminalWidth(env, stdout);
  const wrap = (body: string, spacing = 2) => f.wrapAnsi(body, maxWidth - spacing, { hard: true });
  const indent = (body: string, spacing = 2) => f.indentString(body, spacing);
  const section = (header: string, body: string) => [f.colors ? f.bold(header) : header, indent(body)].join('\n');

  // HelpFormatter.renderList, for the lists of the root page (indentation 2, spacer '\n').
  const renderList = (input: Row[]): string => {
    const indentation = 2;
    const renderMultiline = () => {
      let output = '';
      for (const [left, right] of input) {
        if (!left && !right) continue;
        if (left) output += wrap(left.trim(), indentation);
        if (right) output += `\n${indent(wrap(right.trim(), indentation + 2), 4)}`;
        output += '\n\n';
      }
      return output.trim();
    };
    const maxLength = f.widestLine(input.map((i) => i[0]).join('\n'));
    let output = '';
    let cur = '';
    for (const [left, r] of input) {
      if (cur) output += `\n${cur}`;
      cur = left || '';
      if (!r) {
        cur = cur.trim();
        continue;
      }
      const [first, ...lines] = wrap(r.trim(), indentation + maxLength + 2)
        .split('\n')
        .map((s) => s.trim());
      cur += ' '.repeat(maxLength - f.stringWidth(cur) + 2) + (first ?? '');
      if (lines.length === 0) continue;
      if (lines.length > 4) return renderMultiline();
      cur += `\n${indent(lines.join('\n'), maxLength + 2)}`;
    }
    if (cur) output += `\n${cur}`;
    return output.trim();
  };

  // Config.loadTopics: the package's topics, then one per prefix of every visible command id.
  const topics = new Map<string, Topic>(pjsonTopics.map(([name, t]) => [name, { name, description: t.description, hidden: t.hidden }]));
  for (const c of commands.filter((c) => !c.hidden)) {
    const parts = c.id.split(':');
    for (; parts.length > 0; parts.pop()) {
      const name = parts.join(':');
      if (name && !topics.has(name)) topics.set(name, { name, description: c.summary || c.description });
    }
  }
  const byName = <T>(items: T[], key: (item: T) => string) =>
    items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).filter((a, i, all) => !all.some((b, j) => j > i && key(b) === key(a)));
  const allTopics = [...topics.values()];
  const rootTopics = byName(
    allTopics.filter((t) => allTopics.some((sub) => sub.name.includes(`${t.name}:`)) && !t.hidden),
    (t) => t.name,
  ).filter((t) => !t.name.includes(':'));
  const rootCommands = byName(
    commands.filter((c) => !c.hidden),
    (c) => c.id,
  ).filter((c) => c.id && !c.id.includes(':'));

  // RootHelp.root, then the topics and the commands, each logged (console.log of util.format) with a blank line after.
  const description = oclif.description || pkg.description || '';
  const [summary = '', ...more] = description.split('\n');
  const rest = more.join('\n');
  const page = [summary, section('VERSION', wrap(userAgent)), section('USAGE', wrap(`$ ${bin} [COMMAND]`)), rest ? section('DESCRIPTION', wrap(rest)) : '']
    .filter(Boolean)
    .join('\n\n');
  const logged = [page, ''];
  if (rootTopics.length) logged.push(section('TOPICS', renderList(rootTopics.map((t) => [t.name, t.description?.split('\n')[0]]))), '');
  const commandSummary = (c: ManifestCommand) => (c.summary ? c.summary.split('\n')[0] : c.description?.split('\n')[0]);
  if (rootCommands.length)
    logged.push(
      section(
        'COMMANDS',
        renderList(
          rootCommands.map((c) => {
            const said = commandSummary(c);
            return [c.id, said && f.strip(said)];
          }),
        ),
      ),
      '',
    );
  return logged.map((text) => `${format(text)}\n`).join('');
}
