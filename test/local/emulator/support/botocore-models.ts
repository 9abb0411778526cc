import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A shape of an AWS service model (botocore's `service-2.json`), as far as the conformance table reads it. */
export interface ModelShape {
  readonly type: string;
  readonly members?: Record<string, { readonly shape: string }>;
  readonly member?: { readonly shape: string };
  readonly required?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly error?: { readonly code?: string; readonly httpStatusCode?: number };
  readonly fault?: boolean;
}

/** An AWS service model, as botocore ships it. */
export interface ServiceModel {
  readonly metadata: {
    readonly protocol: string;
    readonly endpointPrefix: string;
    readonly signingName?: string;
    readonly targetPrefix?: string;
    readonly jsonVersion?: string;
  };
  readonly operations: Record<
    string,
    {
      readonly http: { readonly method: string; readonly requestUri: string };
      readonly input?: { readonly shape: string };
      readonly output?: { readonly shape: string; readonly resultWrapper?: string };
      readonly errors?: readonly { readonly shape: string }[];
    }
  >;
  readonly shapes: Record<string, ModelShape>;
}

/** The model versions the emulator follows (local/emulator/model.ts). */
export const MODEL_VERSIONS = {
  sts: '2011-06-15',
  kinesisvideo: '2017-09-30',
  'kinesis-video-signaling': '2019-12-04',
  'kinesis-video-webrtc-storage': '2018-05-10',
  ssm: '2014-11-06',
} as const;

export type ModelName = keyof typeof MODEL_VERSIONS;

/**
 * botocore's data directory, from the `python3` on PATH (pyenv shims included), or undefined with
 * the reason when there is none: the Python SDK ships every AWS service model as JSON.
 */
export function findBotocoreData(): { dir: string } | { missing: string } {
  botocoreData ??= locateBotocoreData();
  return botocoreData;
}

/** What findBotocoreData found, once per test file: python3 takes a while to start. */
let botocoreData: { dir: string } | { missing: string } | undefined;

function locateBotocoreData(): { dir: string } | { missing: string } {
  const install = 'install the AWS SDK for Python to run it: python3 -m pip install boto3';
  let root: string;
  try {
    root = execFileSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return { missing: `botocore (the AWS service models) not found by python3; ${install}` };
  }
  const dir = join(root, 'data');
  const missing = (Object.keys(MODEL_VERSIONS) as ModelName[]).find(
    (name) => modelFile(dir, name) === undefined,
  );
  if (missing) return { missing: `botocore at ${root} has no ${missing} model; ${install} (1.43 or later)` };
  return { dir };
}

function modelFile(dir: string, name: ModelName): string | undefined {
  const base = join(dir, name, MODEL_VERSIONS[name], 'service-2.json');
  return [`${base}.gz`, base].find((file) => existsSync(file));
}

/** Reads one service model (gzipped, as botocore 1.3x+ ships them, or plain). */
export function loadModel(dir: string, name: ModelName): ServiceModel {
  const file = modelFile(dir, name);
  if (file === undefined) throw new Error(`no ${name} model under ${dir}`);
  const raw = readFileSync(file);
  return JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as ServiceModel;
}
