import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

/** Bundle size the function must stay under: today's is about 420 KB. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

interface Bundle {
  readonly code: string;
  readonly sourceMap: { sources: string[]; sourcesContent?: unknown };
}

/** Reads the function's bundle from the cloud assembly: `asset.<hash>/index.js(.map)`. */
function readBundle(s: Synthesized): Bundle {
  const outdir = s.app.outdir;
  const assets = readdirSync(outdir).filter((entry) => existsSync(path.join(outdir, entry, 'index.js')));
  if (assets.length !== 1) throw new Error(`expected one bundled asset in ${outdir}, found ${assets.length}`);
  const dir = path.join(outdir, assets[0] ?? '');
  return {
    code: readFileSync(path.join(dir, 'index.js'), 'utf8'),
    sourceMap: JSON.parse(readFileSync(path.join(dir, 'index.js.map'), 'utf8')),
  };
}

// The one test file that runs esbuild: every other CDK test skips bundling (see ../support/synth.ts).
describe('Lambda function bundle', () => {
  let bundle: Bundle;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    bundle = readBundle(synthesize({}, { bundle: true }));
  });

  it('bundles the pinned AWS SDK clients instead of requiring the runtime copy', () => {
    const { code, sourceMap } = bundle;

    const bundledSts = sourceMap.sources.some((source) =>
      source.includes('node_modules/@aws-sdk/client-sts/'),
    );
    const clientRequires = code.match(/require\(["']@aws-sdk\/client-[^"']*/g) ?? [];

    expect(bundledSts).toBe(true);
    expect(clientRequires).toEqual([]);
  });

  it('contains no AWS SDK for JavaScript v2, bundled or required', () => {
    const { code, sourceMap } = bundle;

    const v2Sources = sourceMap.sources.filter((source) => source.includes('node_modules/aws-sdk/'));

    expect(v2Sources).toEqual([]);
    expect(code).not.toMatch(/require\(["']aws-sdk["'/]/);
  });

  it('minifies the bundle', () => {
    const { code } = bundle;

    const averageLineLength = code.length / code.split('\n').length;

    expect(averageLineLength).toBeGreaterThan(1000);
  });

  it('is one CommonJS module exporting the handler, as the nodejs24.x runtime loads it', () => {
    const { code } = bundle;

    expect(code).toMatch(/module\.exports=\{handler\}/);
    expect(code).not.toMatch(/\bexport\s*\{[^}]*\bhandler\b/);
  });

  it('keeps the syntax Node.js 24 runs natively instead of down-levelling it', () => {
    const { code } = bundle;

    expect(code).toContain('?.');
  });

  it('stays under 1 MiB', () => {
    const { code } = bundle;

    expect(Buffer.byteLength(code)).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('ships a source map without embedded sources', () => {
    const { code, sourceMap } = bundle;

    expect(code).toContain('sourceMappingURL=index.js.map');
    expect(sourceMap.sourcesContent).toBeUndefined();
  });
});
