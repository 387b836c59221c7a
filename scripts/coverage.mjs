// `pnpm test:coverage`: the test suite under c8. The services run as separate processes (started by the
// test harness), so jest's own instrumentation would see none of their code; c8 sets NODE_V8_COVERAGE,
// which every child process inherits, and V8 writes each process's coverage when it exits (graceful
// stops at the end of the run; a test's SIGKILLed instance contributes nothing). tsx runs the services
// with source maps, so the report is in TypeScript lines. Output: a summary here, HTML in coverage/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const packageDir = (from, name) => path.dirname(createRequire(path.join(root, from, 'package.json')).resolve(`${name}/package.json`));
const c8 = path.join(packageDir('packages/devkit', 'c8'), 'bin/c8.js');
const jest = path.join(packageDir('.', 'jest'), 'bin/jest.js');

const args = [
  c8,
  '--reporter=text-summary',
  '--reporter=html',
  '--reports-dir=coverage',
  '--temp-directory=coverage/tmp',
  '--clean',
  '--all',
  '--src=.',
  '--include=services/*/src/**',
  '--include=packages/*/src/**',
  '--exclude=**/generated/**',
  '--exclude=**/*.test.ts',
  '--exclude=**/test/**',
  '--extension=.ts',
  '--exclude-after-remap',
  process.execPath,
  jest,
  ...process.argv.slice(2),
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
