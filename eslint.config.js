// One lint configuration for the whole repository (`npm run lint`, part of `npm test`).
// Formatting is Prettier's job (`.prettierrc.json`); ESLint checks correctness and the line length
// Prettier cannot fix (comments). Type-aware rules are left out: `npm run typecheck` and svelte-check
// already run the compiler over every file.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default ts.config(
  {
    ignores: ['**/node_modules/', '**/dist/', 'test-results/', 'playwright-report/', '**/.vite/', '**/.cache/'],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // State classes keep private Maps and Sets behind a `$state` version counter they bump on
      // every change (see group-state.svelte.ts), and build local ones inside `$derived`: a
      // SvelteMap there would track each entry for nothing.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    // The bench drives browser pages and worker processes over untyped channels
    // (page.evaluate, RPC messages); its values are checked where they are used.
    files: ['bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
