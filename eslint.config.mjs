// Flat config. The rule that matters most: code that must run without VS Code
// (core: CLI and tests; shared: both sides of a webview; webview: the browser)
// never imports `vscode` at run time. Type-only imports are erased and allowed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Listed by hand: the `globals` package is not a dependency of this project.
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'require', 'module', 'exports', '__dirname', '__filename', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map((g) => [g, 'readonly']),
);

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
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/webview/**/*.ts'],
    rules: noVscode,
  },
  {
    // Build scripts and test helpers run in plain Node.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
