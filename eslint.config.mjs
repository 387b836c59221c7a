// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * ESLint's and typescript-eslint's type-checked recommended rules for the whole workspace. The layer rules
 * (who may import whom) are in .dependency-cruiser.cjs; `pnpm lint` runs both.
 */
export default tseslint.config(
  { ignores: ['**/node_modules/', '**/dist/', '**/generated/', 'coverage/', '.data/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_`-prefixed names are deliberately unused: destructuring a field away (`{ secret: _s, ...rest }`) or an
      // Express error handler's fourth parameter, which Express needs to see.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests and tools read HTTP answers, JSON files and SQL rows whose type is `any` by design (supertest's
    // `res.body`, `JSON.parse`, jest's asymmetric matchers, testkit's `sql()` rows); the assertions check them
    // field by field at run time. The no-unsafe-* rules and no-explicit-any, which exist to stop `any`
    // spreading through production code, would only demand a cast on every line of a test. Production code
    // (packages/kit, packages/devkit, services/*/src) keeps them.
    files: ['test/**', 'services/*/test/**', 'packages/*/test/**', 'packages/testkit/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', URL: 'readonly' },
    },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
  // CommonJS files (jest's config, the bench's --require hook) load modules with require(): it is their import.
  { files: ['**/*.cjs', 'jest.config.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
