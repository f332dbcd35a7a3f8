// Flat config: type-aware typescript-eslint on every .ts file. Package sources are checked with
// their own package's tsconfig (found by the project service); tests are not part of any package
// build, so they use tsconfig.test.json, the program `npm run typecheck:tests` checks.
// Plain JS config files are linted untyped.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const testFiles = ['**/*.test.ts', 'test/**/*.ts', '**/test/**/*.ts', 'vitest.config.ts'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.local/**', 'coverage/**', 'schemas/src/generated/**'],
  },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `_`-prefixed names document a deliberately unused argument or binding.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Fire-and-forget must be explicit (`void promise`), never an accident.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // Callbacks such as `eachMessage: async () => …` are fine where a Promise-returning function is expected.
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, properties: false } },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: testFiles,
    languageOptions: {
      parserOptions: { projectService: false, project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Test doubles and vitest matchers are loosely typed by design.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
