import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PHASES, type Phase, phaseKey } from '../../../local/demo/video-viewer';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../../local/runner';
import { CERTUTIL_PATH, CHROMIUM_PATH, requirements, TOOLS } from '../../support/requirements';

const run = promisify(execFile);

export { CERTUTIL_PATH, CHROMIUM_PATH };

/** The tests that connect through the local relay (coturn) in Chromium: whether they can run here. */
export const RELAY_IN_CHROMIUM = requirements(TOOLS.chromium, TOOLS.turnserver);
/** The same, with the local CA trusted through NSS's certutil (`turns:` in Chromium). */
export const RELAY_IN_CHROMIUM_WITH_CA = requirements(TOOLS.chromium, TOOLS.turnserver, TOOLS.certutil);
/** The tests that trust the local CA through NSS's certutil (inside a suite that needs Chromium already). */
export const CERTUTIL = requirements(TOOLS.certutil);

/** Where the browser tests save screenshots (gitignored). */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', '..', 'test-results', 'browser');

/** A throwaway HOME for Chromium: its profile and NSS database live there, never in the user's. */
export interface PrivateHome {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * A private HOME whose NSS database (`~/.pki/nssdb`, where Chromium on Linux reads trusted
 * roots) trusts `caFile` for TLS servers, when given.
 */
export async function privateHome(caFile?: string): Promise<PrivateHome> {
  const dir = await mkdtemp(join(tmpdir(), 'kvs-chromium-home-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  if (caFile) {
    const db = join(dir, '.pki', 'nssdb');
    try {
      await mkdir(db, { recursive: true, mode: 0o700 });
      await run(CERTUTIL_PATH, ['-d', `sql:${db}`, '-N', '--empty-password']);
      await run(CERTUTIL_PATH, [
        '-d',
        `sql:${db}`,
        '-A',
        '-t',
        'C,,',
        '-n',
        'kvs-ice-broker-local',
        '-i',
        caFile,
      ]);
    } catch (error) {
      await remove();
      throw error;
    }
  }
  return { dir, remove };
}

/**
 * Headless Chromium with HOME at `home`. `--allow-loopback-in-peer-connection`: with nothing
 * but loopback networking (CI sandboxes) Chromium otherwise gathers no candidate at all.
 */
export function launchChromium(home: PrivateHome, extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--allow-loopback-in-peer-connection', ...extraArgs],
    env: { ...process.env, HOME: home.dir },
    timeout: 60_000,
  });
}

/**
 * Headless Chromium in a throwaway HOME for `use`, trusting `caFile` when given (the SDK's `wss://`
 * signaling, `turns:`); closed and removed whatever happens.
 */
export async function withChromium<T>(use: (chromium: Browser) => Promise<T>, caFile?: string): Promise<T> {
  const home = await privateHome(caFile);
  try {
    const chromium = await launchChromium(home);
    try {
      return await use(chromium);
    } finally {
      await chromium.close();
    }
  } finally {
    await home.remove();
  }
}

/** The phases a page shows (`data-ms-*`), as numbers; absent ones are left out. */
export function shownPhases(page: Page): Promise<Partial<Record<Phase, number>>> {
  const keys = Object.fromEntries((Object.keys(PHASES) as Phase[]).map((phase) => [phase, phaseKey(phase)]));
  return page.evaluate((byPhase) => {
    const shown: Record<string, number> = {};
    for (const [phase, key] of Object.entries(byPhase)) {
      const value = document.body.dataset[key];
      if (value !== undefined) shown[phase] = Number(value);
    }
    return shown;
  }, keys);
}

/** Waits until the demo page marks an outcome: `connected` or `failed` (`document.body.dataset.state`). */
export async function demoOutcome(page: Page, timeoutMs = 45_000): Promise<string> {
  await page.waitForFunction(
    () => ['connected', 'failed'].includes(document.body.dataset.state ?? ''),
    undefined,
    { timeout: timeoutMs },
  );
  return page.evaluate(() => document.body.dataset.state ?? '');
}

/** Saves a full-page screenshot as `test-results/browser/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The local stack with coturn, and headless Chromium in a private HOME: what a browser test drives. */
export interface DemoRig {
  readonly stack: LocalStack;
  readonly browser: Browser;
  /** Stops Chromium, removes its HOME, stops the stack. */
  close(): Promise<void>;
}

/** How {@link startDemoRig} launches Chromium. */
export interface DemoRigBrowser {
  /** Trust the local CA of the relay (and of wss:// signaling) in Chromium's HOME. */
  readonly trustRelayCa?: boolean;
  /** Chromium switches besides the usual ones. */
  readonly chromiumArgs?: readonly string[];
}

/** Starts the local stack (channel `demo`, quiet, with `options`) and Chromium in a private HOME. */
export async function startDemoRig(
  options: Partial<LocalStackOptions> = {},
  chromium: DemoRigBrowser = {},
): Promise<DemoRig> {
  const stack = await startLocalStack({
    port: 0,
    channels: ['demo'],
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    ...options,
  });
  const home = await privateHome(chromium.trustRelayCa ? stack.coturn?.caFile : undefined).catch(
    async (error: unknown) => {
      await stack.close();
      throw error;
    },
  );
  const browser = await launchChromium(home, chromium.chromiumArgs).catch(async (error: unknown) => {
    await Promise.all([home.remove(), stack.close()]);
    throw error;
  });
  return {
    stack,
    browser,
    close: async () => {
      await browser.close();
      await home.remove();
      await stack.close();
    },
  };
}
