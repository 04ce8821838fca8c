// Two projects: fast unit tests, and end-to-end tests that drive a real Docker engine, Buildx and
// Go through the bundled dist/ entry points. Both run TypeScript as ES modules through ts-jest,
// which needs NODE_OPTIONS=--experimental-vm-modules (set by the npm scripts).
const esmTransform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};

const shared = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: esmTransform,
  // Sources import './x.js' as NodeNext requires; map those back to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  reporters: ['default', '<rootDir>/scripts/jest-totals-reporter.cjs'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/__tests__/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.test.ts'],
    },
  ],
};
