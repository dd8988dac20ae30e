import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '*.js',
      '*.mjs',
      'out/**',
      // Breaks the orchestrations' fence on purpose: test/unit/lint-fence.test.ts lints it.
      'test/fixtures/lint-probe/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always'],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Orchestrators are replayed: they must be deterministic and see only names and types.
    // They may import durable-functions, the domain (shared/domain), the activity contracts and
    // each other; nothing else: no client, no store, no Node built-in, no I/O, no clock.
    files: ['**/orchestrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything but durable-functions, a sibling orchestration module, shared/domain and
              // the activity contracts.
              regex:
                '^(?!durable-functions$|\\./[^/]+$|(?:\\.\\./)+shared/domain/|(?:\\.\\./)+shared/activities/contracts$)',
              message:
                'Orchestrators import only durable-functions, shared/domain, the activity contracts and each other.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
        { object: 'Math', property: 'random', message: 'Orchestrators must be deterministic.' },
        { object: 'performance', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'].map((name) => ({
          name,
          message: 'Use context.df.createTimer.',
        })),
        { name: 'performance', message: 'Use context.df.currentUtcDateTime.' },
        { name: 'crypto', message: 'Use context.df.newGuid; orchestrators must be deterministic.' },
        { name: 'fetch', message: 'Orchestrators call activities for I/O.' },
        { name: 'process', message: 'Config reaches orchestrators as input.' },
        { name: 'require', message: 'Orchestrators import only what the fence allows.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Use context.df.currentUtcDateTime.',
        },
        {
          selector: 'ImportExpression',
          message: 'Orchestrators import only what the fence allows.',
        },
      ],
    },
  },
  {
    // The domain is pure: it imports nothing of the project outside shared/domain (and its
    // data), and no adapter.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/activities/**',
                '**/arm/**',
                '**/stores/**',
                '**/http/**',
                '**/dashboard/**',
                '**/platform/**',
                '**/functions/**',
                '@azure/arm-*',
                '@azure/data-tables',
                '@azure/identity',
                '@azure/functions',
                'durable-functions',
              ],
              message: 'shared/domain is pure: it imports only the domain and its data.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only the composition root (functions/composition.ts) makes concrete adapters: everything
    // else of the app takes them as ports (type imports are fine).
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    ignores: [
      'functions/composition.ts',
      'shared/stores/**',
      'shared/arm/**',
      'shared/http/**',
      // The domain has its own, stricter fence above.
      'shared/domain/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/shared/stores/**',
                '../stores/**',
                '**/arm/clients',
                '**/http/webhook',
                '@azure/identity',
                '@azure/data-tables',
              ],
              allowTypeImports: true,
              message: 'Only the composition root (functions/composition.ts) makes adapters.',
            },
          ],
        },
      ],
    },
  },
  {
    // Plain Node scripts (npm run package): linted without type information.
    files: ['scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', Buffer: 'readonly' },
    },
  },
);
