import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_ROLE_DEPENDENCY } from '../../lib/cfn-lint';
import {
  KVS_REGIONS,
  NO_CLOUDFORMATION_SIGNALING_CHANNEL,
  NO_INGESTION_PARTITIONS,
  partitionOf,
} from '../../lib/regions';
import { requirements, TOOLS } from '../support/requirements';
import { buildApp, type Context, cloudAssemblyDir, removeCloudAssemblies } from './support/synth';

/**
 * CloudFormation's linter on every template a user can synthesize: each auth mode × signaling
 * roles × shared cache × tracing, and each deployment with signaling roles with storage sessions
 * too (where KVS offers them), in each Region below, linted with that Region's own resource
 * data (`--regions`). Each distinct template is linted once, with the data of every Region where a
 * variant synthesizes it: one cfn-lint process (JSON output) per set of Regions.
 */
const cfnLint = requirements(TOOLS.cfnLint);

/** How a deployment authenticates, with the keys each mode needs. */
const AUTHS: Readonly<Record<string, Context>> = {
  jwt: { auth: 'jwt', jwtIssuer: 'https://auth.example.com/', jwtAudience: 'ice-app' },
  iam: { auth: 'iam' },
  none: { auth: 'none', allowUnauthenticated: 'true' },
};

/** `viewer,master` is refused with auth=none (anyone could master a channel), so it is no variant there. */
const SIGNALING_ROLES = ['', 'viewer', 'viewer,master'];

/** A Region to lint in, and the channels a deployment there serves. */
interface Target {
  readonly region: string;
  readonly channels: Context;
}

/**
 * In `aws` and `aws-us-gov`, a channel to create and one named by its creation time, whose ARN the
 * stack builds from its own partition and Region: the same template in both, linted once with the
 * data of both Regions. KVS in China is offered in Beijing only, and CloudFormation has no
 * AWS::KinesisVideo::SignalingChannel in either China Region (synthesis refuses createChannels
 * there): deployments there serve an existing channel of cn-north-1 by its ARN.
 */
const CHANNELS: Context = { channels: 'lobby/1716796800123', createChannels: 'demo' };
const BEIJING_CHANNEL: Context = {
  channels: 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123',
  createChannels: undefined,
};

const TARGETS: readonly Target[] = [
  { region: 'us-west-2', channels: CHANNELS },
  { region: 'cn-north-1', channels: BEIJING_CHANNEL },
  { region: 'cn-northwest-1', channels: BEIJING_CHANNEL },
  { region: 'us-gov-west-1', channels: CHANNELS },
];

const REGIONS = TARGETS.map(({ region }) => region);

/**
 * Every variant's context keys in `region`, named as `-c` options: storage sessions add routes and
 * scoped-role actions whatever the cache and tracing, so they are linted with both off, and not
 * where synthesis refuses them (no WebRTC ingestion).
 */
function variants(region: string): Context[] {
  const storage = !NO_INGESTION_PARTITIONS.includes(partitionOf(region));
  return [...plainVariants(), ...(storage ? storageVariants() : [])];
}

/** Each deployment with signaling roles, without cache and tracing, serving storage sessions. */
const storageVariants = (): Context[] =>
  plainVariants()
    .filter((v) => v.signalingRoles !== '' && v.sharedCache === 'false' && v.tracing === 'false')
    .map((v) => ({ ...v, storageSessions: 'true' }));

/** Every variant without storage sessions. */
function plainVariants(): Context[] {
  return Object.values(AUTHS).flatMap((auth) =>
    SIGNALING_ROLES.filter((roles) => !(auth.auth === 'none' && roles.includes('master'))).flatMap(
      (signalingRoles) =>
        ['false', 'true'].flatMap((sharedCache) =>
          ['false', 'true'].map((tracing) => ({
            ...auth,
            // The master role with jwt needs the claim listing the channels a caller may master.
            ...(auth.auth === 'jwt' && signalingRoles.includes('master')
              ? { masterChannelsClaim: 'masters' }
              : {}),
            signalingRoles,
            sharedCache,
            tracing,
          })),
        ),
    ),
  );
}

/** A variant as the `-c` options that choose it (the keys the variants differ in). */
const variantName = (variant: Context) =>
  ['auth', 'signalingRoles', 'sharedCache', 'tracing', 'storageSessions']
    .filter((key) => variant[key] !== undefined)
    .map((key) => `${key}=${String(variant[key])}`)
    .join(' ');

/** One cfn-lint finding, as its JSON output has it (the fields read here). */
interface Finding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
}

/** Runs cfn-lint on `templates` with the resource data of `regions`; resolves to its findings. */
function lint(regions: readonly string[], templates: readonly string[]): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'cfn-lint',
      ['--format', 'json', '--regions', ...regions, '--', ...templates],
      { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => {
        // cfn-lint exits non-zero when it finds something (2 errors, 4 warnings): its JSON says what.
        if (stdout.trim() !== '') {
          resolve(JSON.parse(stdout) as Finding[]);
          return;
        }
        if (error && error.code !== 0)
          reject(new Error(`cfn-lint failed (${String(error.code)}): ${stderr}`));
        else resolve([]);
      },
    );
  });
}

/** The findings of each variant in one Region: `rule level message` lines by variant name. */
type Report = Record<string, string[]>;

/** One distinct template, and the variants that synthesize it, by Region. */
interface Synthesized {
  readonly path: string;
  readonly variants: Map<string, string[]>;
}

describe("cfn-lint, CloudFormation's linter", cfnLint.options, () => {
  const reports = new Map<string, Report>();
  /** Every distinct template, for the acknowledgements each carries. */
  const templates: string[] = [];

  afterAll(removeCloudAssemblies);

  beforeAll(async () => {
    // A template is linted once, with the data of every Region where a variant synthesizes it.
    const distinct = new Map<string, Synthesized>();
    for (const { region, channels } of TARGETS) {
      const report: Report = {};
      for (const variant of variants(region)) {
        const { app, stack } = buildApp({ ...channels, ...variant }, { region });
        const file = app.synth().getStackArtifact(stack.artifactId).templateFullPath;
        const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
        const synthesized = distinct.get(hash) ?? { path: path.resolve(file), variants: new Map() };
        synthesized.variants.set(region, [...(synthesized.variants.get(region) ?? []), variantName(variant)]);
        distinct.set(hash, synthesized);
        report[variantName(variant)] = [];
      }
      reports.set(region, report);
    }
    templates.push(...[...distinct.values()].map(({ path }) => path));
    // One cfn-lint process for each set of Regions (cfn-lint takes one --regions for all its templates).
    const byRegions = new Map<string, Map<string, Synthesized>>();
    for (const synthesized of distinct.values()) {
      const key = [...synthesized.variants.keys()].join(' ');
      byRegions.set(key, (byRegions.get(key) ?? new Map()).set(synthesized.path, synthesized));
    }
    const runs = [...byRegions].map(async ([regionList, byPath]) => {
      for (const finding of await lint(regionList.split(' '), [...byPath.keys()])) {
        const synthesized = byPath.get(path.resolve(finding.Filename));
        for (const [region, names] of synthesized?.variants ?? []) {
          const report = reports.get(region) ?? {};
          for (const name of names)
            report[name] = [
              ...(report[name] ?? []),
              `${finding.Rule.Id} ${finding.Level} ${finding.Message}`,
            ];
        }
      }
    });
    await Promise.all(runs);
  }, 600_000);

  it.each(REGIONS)('finds nothing to fix in any variant with the resource data of %s', (region) => {
    const report = reports.get(region) ?? {};

    expect(Object.keys(report)).toHaveLength(variants(region).length);
    expect(report).toEqual(Object.fromEntries(Object.keys(report).map((name) => [name, []])));
  });

  it("acknowledges exactly what docs/operations.md lists, on the function's resource only", () => {
    const acknowledged = new Set<string>();
    for (const template of templates) {
      const { Resources } = JSON.parse(readFileSync(template, 'utf8')) as {
        Resources: Record<
          string,
          { Type: string; Metadata?: { 'cfn-lint'?: { config?: { ignore_checks?: string[] } } } }
        >;
      };
      for (const resource of Object.values(Resources)) {
        for (const rule of resource.Metadata?.['cfn-lint']?.config?.ignore_checks ?? [])
          acknowledged.add(`${rule} ${resource.Type}`);
      }
    }

    expect([...acknowledged]).toEqual([`${FUNCTION_ROLE_DEPENDENCY.rule} AWS::Lambda::Function`]);
    expect(documentedAcknowledgements()).toEqual([
      {
        rule: FUNCTION_ROLE_DEPENDENCY.rule,
        resource: 'the function (`AWS::Lambda::Function`)',
        reason: FUNCTION_ROLE_DEPENDENCY.reason,
      },
    ]);
  });

  it('finds AWS::KinesisVideo::SignalingChannel in the resource data of every KVS Region but those synthesis refuses createChannels in', async () => {
    const template = path.join(cloudAssemblyDir(), 'channel.json');
    writeFileSync(
      template,
      JSON.stringify({
        Resources: {
          Channel: { Type: 'AWS::KinesisVideo::SignalingChannel', Properties: { Name: 'lobby' } },
        },
      }),
    );

    const findings = await lint(Object.values(KVS_REGIONS).flat(), [template]);

    const missingIn = findings
      .filter(({ Rule }) => Rule.Id === 'E3006')
      .map(({ Message }) => /in '([a-z0-9-]+)'$/.exec(Message)?.[1])
      .sort();
    expect(missingIn).toEqual([...NO_CLOUDFORMATION_SIGNALING_CHANNEL].sort());
    expect(findings.filter(({ Rule }) => Rule.Id !== 'E3006')).toEqual([]);
  });
});

/** The rows of docs/operations.md's table of acknowledged cfn-lint findings. */
function documentedAcknowledgements(): { rule: string; resource: string; reason: string }[] {
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
  const section = doc.split(/^### /m).find((part) => part.startsWith("CloudFormation's linter")) ?? '';
  return section
    .split('\n')
    .filter((line) => /^\| [A-Z]\d{4} \|/.test(line))
    .map((line) => {
      const [rule = '', resource = '', reason = ''] = line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim());
      return { rule, resource, reason };
    });
}
