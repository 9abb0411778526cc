import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Unit tests of the benchmarks' own analysis code: `npx vitest run --config bench/vitest.config.ts`. */
export default defineConfig({
  // Keep Vite's cache with the project's, not in a bench/node_modules.
  cacheDir: join(__dirname, '..', 'node_modules', '.vite'),
  test: {
    root: __dirname,
    include: ['test/**/*.test.ts'],
  },
});
