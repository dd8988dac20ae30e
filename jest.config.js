/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
module.exports = {
  // Integration tests drive real servers; unit tests finish in milliseconds either way.
  testTimeout: 60_000,
  // Jest's default is one worker per core but one; the integration tests mostly wait (on the
  // emulator's clock, child processes, HTTP), so two files at once fit two cores.
  maxWorkers: 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      // What the service survives, with figures; ACCELNET_RELIABILITY_SCALE=full|ci (default ci).
      displayName: 'reliability',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/reliability'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
  ],
};
