import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bytesPerPackage, packageOf } from '../lib/packages';

const output = (inputs: Record<string, number>): Metafile => ({
  inputs: {},
  outputs: {
    'out/handler.js': {
      bytes: 0,
      imports: [],
      exports: [],
      inputs: Object.fromEntries(
        Object.entries(inputs).map(([path, bytesInOutput]) => [path, { bytesInOutput }]),
      ),
    },
  },
});

describe('bytes per package of a bundle', () => {
  it('names scoped and unscoped packages after node_modules', () => {
    expect([
      packageOf('node_modules/@smithy/core/dist-es/index.js'),
      packageOf('node_modules/zod/v4/mini/index.js'),
    ]).toEqual(['@smithy/core', 'zod']);
  });

  it('gives a nested copy to the package that owns the file', () => {
    expect(packageOf('node_modules/@aws-sdk/core/node_modules/@smithy/core/dist-es/a.js')).toBe(
      '@smithy/core',
    );
  });

  it('counts files outside node_modules as the project', () => {
    expect(packageOf('lambda/core/vendor.ts')).toBe('(project)');
  });

  it('adds up every file of a package, largest package first', () => {
    const metafile = output({
      'lambda/handler.ts': 100,
      'node_modules/zod/a.js': 50,
      'node_modules/zod/b.js': 70,
      'node_modules/@smithy/core/c.js': 300,
    });

    expect(bytesPerPackage(metafile, 'out/handler.js')).toEqual([
      { name: '@smithy/core', bytes: 300 },
      { name: 'zod', bytes: 120 },
      { name: '(project)', bytes: 100 },
    ]);
  });

  it('refuses an output the bundle does not have', () => {
    expect(() => bytesPerPackage(output({}), 'out/other.js')).toThrow('no output out/other.js');
  });
});
