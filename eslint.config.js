// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import path from 'node:path';

/**
 * boundary/imports: where a file's imports may lead. Options: `within` (relative imports must stay
 * inside this folder), `names` (bare specifiers, and their subpaths, not to import), `dirs` (folders
 * relative imports must not reach), `lazy` (the `names` may still be imported for types or with a
 * dynamic import()), `message`. Covers import, export-from and import() alike.
 */
const boundary = {
  rules: {
    imports: {
      meta: {
        type: 'problem',
        schema: [
          {
            type: 'object',
            properties: {
              within: { type: 'string' },
              names: { type: 'array', items: { type: 'string' } },
              dirs: { type: 'array', items: { type: 'string' } },
              lazy: { type: 'boolean' },
              message: { type: 'string' },
            },
            required: ['message'],
            additionalProperties: false,
          },
        ],
        messages: { crossed: '{{message}} (import of "{{source}}")' },
      },
      create(context) {
        const { within, names = [], dirs = [], lazy = false, message } = context.options[0];
        const inside = (dir, file) => {
          const rel = path.relative(path.resolve(context.cwd, dir), file);
          return !rel.startsWith('..') && !path.isAbsolute(rel);
        };
        const typeOnly = (node) =>
          node.importKind === 'type' ||
          node.exportKind === 'type' ||
          (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));
        const check = (node, sourceNode) => {
          const source = sourceNode?.type === 'Literal' ? sourceNode.value : undefined;
          if (typeof source !== 'string') return;
          let crossed;
          if (source.startsWith('.')) {
            const target = path.resolve(path.dirname(context.filename), source);
            crossed = (within !== undefined && !inside(within, target)) || dirs.some((d) => inside(d, target));
          } else {
            crossed = names.some((n) => source === n || source.startsWith(`${n}/`)) && !(lazy && (node.type === 'ImportExpression' || typeOnly(node)));
          }
          if (crossed) context.report({ node: sourceNode, messageId: 'crossed', data: { message, source } });
        };
        return {
          ImportDeclaration: (node) => check(node, node.source),
          ExportNamedDeclaration: (node) => check(node, node.source),
          ExportAllDeclaration: (node) => check(node, node.source),
          ImportExpression: (node) => check(node, node.source),
        };
      },
    },
  },
};

const SANDBOX = '@homelab/sandbox';
const SANDBOX_SEAM = ['src/commands/sandbox.ts', 'src/sandbox-config.ts'];

export default tseslint.config(
  { ignores: ['**/dist/', 'node_modules/', 'coverage/', 'oclif.manifest.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The simulator is a package of its own: it imports nothing of homelab's.
    files: ['packages/sandbox/**/*.ts'],
    plugins: { boundary },
    rules: {
      'boundary/imports': [
        'error',
        { within: 'packages/sandbox', names: ['homelab'], message: "The sandbox package stands alone: nothing from homelab's src/ or the root." },
      ],
    },
  },
  {
    // The product reaches the simulator only through `homelab sandbox` and its config writer.
    files: ['src/**/*.ts'],
    ignores: SANDBOX_SEAM,
    plugins: { boundary },
    rules: {
      'boundary/imports': ['error', { names: [SANDBOX], dirs: ['packages'], message: `Only ${SANDBOX_SEAM.join(' and ')} import the sandbox package.` }],
    },
  },
  {
    files: SANDBOX_SEAM,
    plugins: { boundary },
    rules: {
      'boundary/imports': [
        'error',
        { names: [SANDBOX], dirs: ['packages'], lazy: true, message: `The sandbox is loaded lazily: import('${SANDBOX}'), or import type.` },
      ],
    },
  },
  {
    // Ops are pure of the outside world: they get everything through OpContext.
    files: ['src/ops/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-globals': ['error', { name: 'process', message: 'Ops and core get what they need from OpContext.' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['chalk', 'cli-table3', '@oclif/*', '@modelcontextprotocol/*'], message: 'Ops know no door.' },
            { group: ['@kubernetes/client-node'], message: 'Only src/adapters/kube imports the Kubernetes client, lazily.' },
          ],
        },
      ],
    },
  },
);
