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
    layer('handler'),
    layer('infra', { setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'] }),
    // Runs the Lambda bundles that `cdk synth` left in cdk.out, as a separate Node process each.
    layer('bundle', { testTimeout: 20_000 }),
  ],
};
