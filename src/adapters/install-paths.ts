import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

/**
 * Where the running copy of homelab keeps its files. The MCP door also runs bundled (dist/mcp/,
 * written by scripts/bundle-mcp.ts), where a module's URL no longer says where its source sat, so
 * these walk up from the caller's URL to the nearest folder holding the file instead of counting `../`.
 */
const found = new Map<string, URL>();

function nearestFolderWith(fromUrl: string, file: string): URL | undefined {
  // A server asks for each tool call it imports: walk once per module and file (a miss is an error, not cached).
  const key = `${fromUrl}\0${file}`;
  const known = found.get(key) ?? walkUp(fromUrl, file);
  if (known) found.set(key, known);
  return known;
}

function walkUp(fromUrl: string, file: string): URL | undefined {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(path.join(dir, file))) return pathToFileURL(`${dir}${path.sep}`);
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The package's root (package.json, docs/runbooks). */
export function packageRoot(fromUrl: string): URL {
  const root = nearestFolderWith(fromUrl, 'package.json');
  if (!root) throw new Error(`internal error: no package.json above ${fromUrl}`);
  return root;
}

/** The build the caller runs from: the folder with mcp-tools.json, against which the manifest names op modules (dist/ or dist/mcp/). */
export function buildRoot(fromUrl: string): URL {
  const root = nearestFolderWith(fromUrl, 'mcp-tools.json');
  if (!root) throw new Error(`internal error: no mcp-tools.json above ${fromUrl}: build first (npm run build)`);
  return root;
}
