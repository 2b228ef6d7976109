// One project per test layer, so each layer has its own script (npm run test:<layer>) and
// `npm test` runs them all in one jest process.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'es6' },
  },
];

const layer = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  ...extra,
});

export default {
  projects: [
    layer('unit'),
    layer('simulator'),
    // Many handler tests spawn the CLI or npm start: seconds each on a busy 2-core machine.
    layer('handler', { testTimeout: 30_000 }),
    layer('infra', { setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'] }),
    // Runs the Lambda bundles that `cdk synth` left in cdk.out, as a separate Node process each.
    layer('bundle', { testTimeout: 20_000 }),
    // Issue 7's adversarial suite against `npm start` and the simulator over loopback; seeded
    // (RELIABILITY_SEED), and it prints the figures it measured at the end.
    layer('reliability', {
      globalSetup: '<rootDir>/test/reliability/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/reliability/support/global-teardown.ts',
    }),
  ],
};
