// Flat config. The rule that matters most: code that must run without VS Code
// (core: CLI and tests; shared: both sides of a webview; webview: the browser)
// never imports `vscode` at run time. Type-only imports are erased and allowed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: [
        {
          name: 'vscode',
          message: 'src/core, src/shared and src/webview run without VS Code: define an interface here and implement it in src/extension.',
          allowTypeImports: true,
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/e2e/host/**', '.test-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // tsc already reports undefined names, with types; the core rule does not know TS globals.
      'no-undef': 'off',
      // `import x = require('y')` is how TS imports CommonJS `export =` modules (postal-mime, sanitize-html).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // Mail is bytes: checking for control characters and NUL is the point of several regexes.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/webview/**/*.ts'],
    rules: noVscode,
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
