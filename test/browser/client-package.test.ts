import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../packages/client/build';
import { installInFreshApp, packWorkspace, type Scratch } from '../support/packed';
import { type DemoRig, RELAY_IN_CHROMIUM, startDemoRig } from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM;
const README = join(__dirname, '..', '..', 'packages', 'client', 'README.md');

/** The client README's "relay connection in under 10 lines" example, between its markers. */
function readmeSnippet(): string {
  const match = /<!-- snippet: relay-in-ten-lines -->\s*```js\n([\s\S]*?)```/.exec(
    readFileSync(README, 'utf8'),
  );
  if (!match?.[1]) throw new Error(`${README} has no relay-in-ten-lines snippet`);
  return match[1];
}

describe(
  missing
    ? `the client package in a browser app (${missing})`
    : 'the client package as a browser app ships it: installed from its tarball, bundled by esbuild, in Chromium',
  options,
  () => {
    let rig: DemoRig;
    let packed: Awaited<ReturnType<typeof packWorkspace>>;
    let app: Scratch;
    beforeAll(async () => {
      packed = await packWorkspace('packages/client', buildClient);
      app = await installInFreshApp([packed.tarball]);
      rig = await startDemoRig();
    }, 240_000);
    afterAll(async () => {
      await rig?.close();
      await app?.remove();
      await packed?.remove();
    });

    it("runs the README's under-10-lines example and opens a data channel through the relay", async () => {
      const snippet = readmeSnippet();
      const { stack, browser } = rig;
      const source = join(app.dir, 'example.mjs');
      await writeFile(source, snippet.replaceAll('http://127.0.0.1:8080', stack.api.url));
      const bundle = await build({
        entryPoints: [source],
        absWorkingDir: app.dir,
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        write: false,
        logLevel: 'silent',
      });
      const script = bundle.outputFiles[0]?.text ?? '';
      const page = await browser.newPage();
      const origin = stack.api.url;
      await page.route(`${origin}/example/**`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><script type="module">${script}</script>`,
        }),
      );
      const opened = page.waitForEvent('console', {
        predicate: (message) => message.text() === 'open through the relay',
        timeout: 45_000,
      });

      await page.goto(`${origin}/example/index.html`);
      await opened;

      expect(snippet.trim().split('\n').length).toBeLessThan(10);
      await page.close();
    });
  },
);
