// Bundles the MCP door into dist/mcp/ (after tsc has built dist/): what an assistant's client waits
// for on every start of `mcp serve` is module loading, and the SDK, zod and yaml alone are ~200
// files. Bundled, the start-up reads a few files (bench: spawn → tools/list). The CLI door stays
// unbundled: oclif loads its commands by path and bundling them saved ~5% of a command's CPU.
//
// Every op module the tools manifest names is an entry point (the server imports them by the
// manifest's path), so all of them share one copy of each module through common chunks: one zod,
// one kube client cache, one error class per process.
import { copyFile, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const out = path.join(dist, 'mcp');

/** Packages bundled in: pure ESM, loaded on the start-up path, many files each. Everything else stays in node_modules. */
const BUNDLED = new Set(['zod', '@modelcontextprotocol/server', '@modelcontextprotocol/core', 'yaml']);

const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const require = createRequire(import.meta.url);

const externals: Plugin = {
  name: 'homelab-externals',
  setup(b) {
    // yaml's Node entry is CommonJS (its named exports would be lost in an ESM bundle); its ESM build is the same code.
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: path.join(path.dirname(require.resolve('yaml/package.json')), 'browser/index.js') }));
    // zod's `locales` namespace is every language's error messages (~370 KB of source the server would
    // parse and keep); only English is used (zod registers it itself), so the namespace holds only it.
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: path.dirname(args.path),
    }));
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('node:') || !BUNDLED.has(packageName(args.path)) ? { external: true } : undefined));
  },
};

/** Bundles dist/ (built by tsc, with dist/mcp-tools.json written) into dist/mcp/. */
export async function bundleMcp(): Promise<void> {
  const tools = JSON.parse(await readFile(path.join(dist, 'mcp-tools.json'), 'utf8')) as Array<{ module: string }>;
  await rm(out, { recursive: true, force: true });
  const result = await build({
    entryPoints: [path.join(dist, 'adapters/mcp/fast-start.js'), ...new Set(tools.map((t) => path.join(dist, t.module)))],
    outdir: out,
    outbase: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [externals],
    logLevel: 'warning',
    metafile: true,
    // Without comments the source is ASCII (esbuild escapes non-ASCII strings), so V8 keeps each chunk as
    // a one-byte string: a single "—" in a comment made a chunk's source two bytes a character. Names
    // are kept, so stack traces still name their functions. (bench: MCP server peak RSS, −5 MiB with the locales)
    minifyWhitespace: true,
  });
  // The server finds op modules relative to the manifest beside it (src/adapters/install-paths.ts).
  await copyFile(path.join(dist, 'mcp-tools.json'), path.join(out, 'mcp-tools.json'));
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  if (process.env.BUNDLE_VERBOSE) console.log(`dist/mcp: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundleMcp();
