// ESLint flat config. The model core (everything in src/ except the node-facing
// edges: src/cli/ and src/platform/node/) must stay free of node:* imports so that
// it can run in a browser; that rule is enforced here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', 'scenarios/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/platform/node/**'],
    rules: {
      'no-restricted-imports': ['error', {
        // Bare module names go in `paths` (exact match): as gitignore-style patterns they would also
        // match the model's own src/fs/ directory.
        paths: ['fs', 'path', 'os', 'crypto', 'child_process', 'worker_threads', 'process'].map((name) => ({ name, message: 'The model core is pure: no node:* imports (use src/platform interfaces; node code lives in src/cli or src/platform/node).' })),
        patterns: [
          { group: ['node:*'], message: 'The model core is pure: no node:* imports (use src/platform interfaces; node code lives in src/cli or src/platform/node).' },
          { group: ['**/cli/**', '**/platform/node/**'], message: 'The model core must not depend on the node edges.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'The model core is pure: no process access.' }, { name: 'Buffer', message: 'Use Uint8Array in the model core.' }],
    },
  },
);
