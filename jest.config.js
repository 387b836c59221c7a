/**
 * Two projects in one run. `unit`: pure logic with in-memory fakes, no processes, no database (`pnpm test:unit`,
 * a few seconds). `http`: the whole shop, one PostgreSQL and the four real services started in global setup.
 */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs', ignoreDynamic: true } }],
};
// pnpm build's output (dist/, with copies of the Prisma clients' package.json) is never a test's module.
const modulePathIgnorePatterns = ['<rootDir>/(services|packages)/[^/]+/dist/'];

module.exports = {
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/services/*/test/unit/**/*.test.ts', '<rootDir>/packages/*/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'http',
      testEnvironment: 'node',
      transform,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/services/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/test/unit/'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/after-each-file.ts'],
    },
  ],
};
