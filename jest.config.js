// One module system everywhere: native ESM. Jest runs with --experimental-vm-modules
// (see package.json) and ts-jest in ESM mode, so @kubernetes/client-node (ESM-only)
// loads the same way in tests as in the CLI.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: tsJest,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      // One seed for every fast-check property under CI (test/unit/property-seed.ts).
      setupFilesAfterEnv: ['<rootDir>/test/unit/property-seed.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Starts etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kwok and moto
      // on 127.0.0.1 once for the whole run (only when an integration test is selected).
      globalSetup: '<rootDir>/test/env/global-setup.ts',
      globalTeardown: '<rootDir>/test/env/global-teardown.ts',
      // jest ignores testTimeout inside a project: this file applies it.
      setupFilesAfterEnv: ['<rootDir>/test/env/jest-timeout.ts'],
    },
  ],
};
