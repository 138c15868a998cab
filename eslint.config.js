// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'oclif.manifest.json'] },
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
    // Ops are pure of the outside world: they get everything through OpContext.
    files: ['src/ops/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-globals': ['error', { name: 'process', message: 'Ops and core get what they need from OpContext.' }],
      'no-restricted-imports': ['error', { patterns: [
        { group: ['chalk', 'cli-table3', '@oclif/*', '@modelcontextprotocol/*'], message: 'Ops know no door.' },
        { group: ['@kubernetes/client-node'], message: 'Only src/adapters/kube imports the Kubernetes client, lazily.' },
      ] }],
    },
  },
);
