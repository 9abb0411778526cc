import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // CDK synth and the coturn/WebRTC suites are heavy; two workers match the build machines.
    maxWorkers: 2,
  },
});
