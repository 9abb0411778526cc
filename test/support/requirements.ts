import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findTurnserver } from '../../local/relay/coturn';
import { findBotocoreData } from '../local/emulator/support/botocore-models';

/** A program some tests need, and how to install it on Debian or Ubuntu (as CI does). */
export interface Tool {
  /** What is looked for, as the skip message names it: a path, or a program on PATH. */
  readonly name: string;
  /** The command that installs it. */
  readonly install: string;
  /** Whether this machine has it. */
  readonly found: () => boolean;
}

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** NSS's `certutil`, to trust the local CA in a private browser profile. */
export const CERTUTIL_PATH = '/usr/bin/certutil';

/** Whether `command --version` runs: a pyenv shim is on PATH even where its Python lacks the package. */
function runs(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Whether the `python3` on PATH imports `module` (its pyenv shim is there even where that Python lacks it). */
function imports(module: string): boolean {
  try {
    execFileSync('python3', ['-c', `import ${module}`], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** The programs tests skip without; each test file names the ones it needs. */
export const TOOLS = {
  turnserver: {
    name: 'turnserver',
    install: 'apt-get install coturn',
    found: () => findTurnserver() !== undefined,
  },
  chromium: {
    name: CHROMIUM_PATH,
    install: 'apt-get install chromium',
    found: () => existsSync(CHROMIUM_PATH),
  },
  certutil: {
    name: CERTUTIL_PATH,
    install: 'apt-get install libnss3-tools',
    found: () => existsSync(CERTUTIL_PATH),
  },
  /** CloudFormation's linter, with its per-Region resource data (Python; CI installs it with pip). */
  cfnLint: {
    name: 'cfn-lint',
    install: 'pip install cfn-lint',
    found: () => runs('cfn-lint'),
  },
  /**
   * moto (a widely used AWS mock, https://github.com/getmoto/moto) in server mode, as python3
   * imports it: another DynamoDB than dynalite's.
   */
  moto: {
    name: "moto's server (python3 -m moto.server)",
    install: "python3 -m pip install 'moto[server]'",
    found: () => imports('moto.server'),
  },
  /** The AWS SDK for Python, as python3 imports it: the seed user's scripts. */
  boto3: {
    name: 'boto3 (the AWS SDK for Python, in python3)',
    install: 'python3 -m pip install boto3',
    found: () => imports('boto3'),
  },
  /** The AWS CLI on PATH. */
  awsCli: {
    name: 'aws (the AWS CLI)',
    install: 'python3 -m pip install awscli',
    found: () => runs('aws'),
  },
  /** botocore's data, as python3 finds it: every AWS service model and AWS's endpoint data. */
  botocore: {
    name: 'botocore 1.43 or later (the AWS service models, in python3)',
    install: 'python3 -m pip install --upgrade boto3',
    found: () => 'dir' in findBotocoreData(),
  },
} as const satisfies Record<string, Tool>;

/** A tool that is missing, as a skipped test's metadata carries it to the skip summary. */
export interface MissingTool {
  readonly name: string;
  readonly install: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** The tools whose absence skipped this test or suite (read by test/support/skip-summary.ts). */
    missingTools?: readonly MissingTool[];
  }
}

/** Whether tests that need some tools can run here, and the options that skip them when they cannot. */
export interface Requirements {
  /**
   * Why the tests cannot run, for the suite's name (`SKIPPED: turnserver not found; install it
   * with \`apt-get install coturn\``), or undefined when every tool is installed.
   */
  readonly missing: string | undefined;
  /**
   * Options for `describe` or `it`: skip when a tool is missing, with the missing tools in the
   * test's metadata, which the run's skip summary lists with what to install. `skip` is there
   * only when true: a suite's options reach its tests, and a `skip: false` there would run the
   * tests inside that `it.skipIf` skips.
   */
  readonly options: { readonly skip?: true; readonly meta: { missingTools: readonly MissingTool[] } };
}

/** What the tests that need every one of `tools` lack on this machine. */
export function requirements(...tools: readonly Tool[]): Requirements {
  const missingTools = tools
    .filter((tool) => !tool.found())
    .map(({ name, install }): MissingTool => ({ name, install }));
  const missing =
    missingTools.length === 0
      ? undefined
      : `SKIPPED: ${missingTools.map((tool) => `${tool.name} not found; install it with \`${tool.install}\``).join('; ')}`;
  const meta = { missingTools };
  return { missing, options: missingTools.length > 0 ? { skip: true, meta } : { meta } };
}
